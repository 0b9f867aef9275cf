/// Weak material made once with the openssl command line (OpenSSL 3.0) and pasted here.
enum WeakFixtures {
    /// openssl req -x509 -sha1 -newkey rsa:2048 -nodes -subj /CN=x -days 1
    static let sha1Certificate = """
        -----BEGIN CERTIFICATE-----
        MIIC+TCCAeGgAwIBAgIUXswTb420Cp8W1PqDPlIM3P722dswDQYJKoZIhvcNAQEF
        BQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMjkyMDIyMjlaFw0yNjExMzAyMDIyMjla
        MAwxCjAIBgNVBAMMAXgwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCc
        LMtjUjDx4tFUiXOcId5HOZ6Czuu8AScOs1zuH/yrHKHFVvUrxYEdGFrZLwlREBKH
        3tSIIXAWq9nLY6N6J80E/7OfvBOv7ZHE6WElFg1tnZHqzm5E6S5qPzbMXSYzHYF8
        cflDcFHnIxHJFV5njn/hDPzgqrRvUoLvkv6sNg+5beRZsSd2bFMmBajA0euXGU0L
        jjUg9pG9Xs17/s7yaCUGomnvWzbTNZMQy7fJh3RbctIPKu0TSIi2P+qhLGr72T0/
        ajlNyxQ0M219yURLJPaMDsNTAPPVZvY8TEkbC3QX8pmhyomcmrVkiKJ122ICPnLC
        vWC/u/TNr2b9D/AIt6TLAgMBAAGjUzBRMB0GA1UdDgQWBBRelY8Xp7lfbnIOeaPi
        e/HDv82D4DAfBgNVHSMEGDAWgBRelY8Xp7lfbnIOeaPie/HDv82D4DAPBgNVHRMB
        Af8EBTADAQH/MA0GCSqGSIb3DQEBBQUAA4IBAQCGA0jJ50gG4QEdgTCROwpqb0h+
        nkK3FL3uxBv6H6PSgtaOKL2Md6jb8TnMnEy7e+6I+0ZHnaIP6j3SzI7M//XNUo1W
        1bcVWhO1B9tv3ls8b6YMB1lFqGqKu1JY+YSOro9fuQnZX6CWooXQ2748n+oFTadp
        bOaa8upxJQ+pjATycLwrEWoqv8hVwNF0X3zlP/jfG/WfM20+tjBX5pITeBWULsGc
        bfOCcSzu6SJINeaYgsfFf98AvZLvQbxqTMvlYTkzR6mGRI+szO9suRNSxxkk8c1Q
        ZuqmXjFRbZMaBuVb4Jhrntjd22WUAN6BuZsCVtTsRgIFk1mZfJfabYfo2TbQ
        -----END CERTIFICATE-----
        """

    /// openssl req -x509 -md5 -newkey rsa:2048 -nodes -subj /CN=x -days 1
    static let md5Certificate = """
        -----BEGIN CERTIFICATE-----
        MIIC+TCCAeGgAwIBAgIUGePkNhi9lhjrbwTZDjeD/wHEAUUwDQYJKoZIhvcNAQEE
        BQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMjkyMDIyMzBaFw0yNjExMzAyMDIyMzBa
        MAwxCjAIBgNVBAMMAXgwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC+
        SX1I0+Uo1miAUdEOCsAQ1lTWMud7DmxrBHPZ6E2GK2u5p0mSIxud81eaGZZz1IT4
        3+pnvkFJ/u8Wtic38Paj2t5MJXJjJFAs/hpbVc+gBrqPtLwzeGu7QRz1Olxh7cIv
        q7T8zHxo9wBzP/lrUv2bjuIiD2v4gGToxZoS8EaoGBv1JLjF6h9CNTyllfKOQZOc
        JTWbzY68BhKMk++VN7mnIsSdDpusjWAeFYtQEi/+6H2vea/+bhh7nAtnDVkFtQBy
        0FlDNh3YCWVR1g8ldiVE7PIjHlSufTjBZ6Vl2fnvg0Md89m6pMZAW2d1XsjVsx6a
        BMFZzbw44DepDrD+Un6bAgMBAAGjUzBRMB0GA1UdDgQWBBTbxToaTCeNNVwctvWY
        GQ7j1YvTxzAfBgNVHSMEGDAWgBTbxToaTCeNNVwctvWYGQ7j1YvTxzAPBgNVHRMB
        Af8EBTADAQH/MA0GCSqGSIb3DQEBBAUAA4IBAQAItLhvSpwGPE3hdTI8bIFPvJcV
        pexQW6R2WXK5vg5PKx38+5dc1eNiVECDl3FfnWyO7CHaq++aSlt8uV7bzJJlKC/s
        gMhFpTUMiW6FKwm4E4AlkKr8A/TdhSIxQ0xLKakWBbuujlJAeBGZIkdoMYHd/xtc
        nNnADIQ50B9jDI/LUMBvFgYNaJIMgLNerKDlqv74riDB9y0MnauruRYfP0C8+3St
        KsGcaHxh2TqQ8A+k0U60CvYaRYkDUyLcq6/ZYTpQ3fdwttkqM0CHpUo5zVOaA465
        WBURCuzD4i8Pr7jj2KKciMX2rqW/SkuK6NNoUM0fm1jG3x+50iUHvcuMA3Hz
        -----END CERTIFICATE-----
        """

    /// openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024
    static let rsa1024KeyPKCS8 = """
        -----BEGIN PRIVATE KEY-----
        MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAMHvpLdu4hjECW9z
        E41L5Ow2ewG5To7ht117kGYjprmhbjpSH97bMEaQVScCc5M56WZ4aVvNKNdNjIHG
        MaY0dlzI8QhOlobiO/uWLg9Ht8z/2wAtoKR2hDTjg1NLcgccneH6qpiz6chsX+ID
        nD2nkrDPGSfV+Isz9HJJQ+7pVRHpAgMBAAECgYBTRLzZkb98WLegZa2QbnS1Q1Mf
        U1w6lwmvFr3STR5p97knS1mpyzz4H0KghDnxjdz8BVlfdEBD6WUZ12o77ayfu3fo
        wZTphM6R5f+D9YLnjG4kDnnVe3GRXCs1qsK2j5PubTgAQHchxKmVY/ZfbtBoryW2
        Va8WQS4UGcOK1px+gQJBAPpSCNigblrMhR/uBVPOsAHACYpOxAiisGTyQ8gxMZzk
        h+XP0FP0ZOxTIjfyRQ0Q7tG04ZyEl4jWxvqOigVwC5kCQQDGVhrpxNS1UsfH8ZSs
        lf8FkXmDA9Gf75yWZb0mzI2t2Ei0GMUmZy41MNbaboFGyEBTDU4Zc9fdCn9uQzsT
        aKrRAkEAiS2psWWB9Hp+PfhHrRzosZzW3Ze6sGzPtBJb+PqUkMFghB11snyNTkFk
        0DoRg06TQhMZTJgRHylsk+THWKGFiQJAHB4a5KdF7IrWzc6+4BTHubdc/ajt7/md
        Pmkf/r8jGtE9xWJ5mK8qCtpoq0DdTPaYv+1z9AHLSYfyduRLHL5K8QJBAKwMFOcj
        Bii8kZSMTI4jT0Sx64iVCX4D938eEH56kAD7bD4DqSFDZ37s6W0xqrbg5DqGg1xq
        +e1CkOrqw6Vl8O8=
        -----END PRIVATE KEY-----
        """

    /// the same key as rsa1024KeyPKCS8: openssl rsa -in rsa1024.pem -traditional
    static let rsa1024KeyPKCS1 = """
        -----BEGIN RSA PRIVATE KEY-----
        MIICXQIBAAKBgQDB76S3buIYxAlvcxONS+TsNnsBuU6O4bdde5BmI6a5oW46Uh/e
        2zBGkFUnAnOTOelmeGlbzSjXTYyBxjGmNHZcyPEITpaG4jv7li4PR7fM/9sALaCk
        doQ044NTS3IHHJ3h+qqYs+nIbF/iA5w9p5Kwzxkn1fiLM/RySUPu6VUR6QIDAQAB
        AoGAU0S82ZG/fFi3oGWtkG50tUNTH1NcOpcJrxa90k0eafe5J0tZqcs8+B9CoIQ5
        8Y3c/AVZX3RAQ+llGddqO+2sn7t36MGU6YTOkeX/g/WC54xuJA551XtxkVwrNarC
        to+T7m04AEB3IcSplWP2X27QaK8ltlWvFkEuFBnDitacfoECQQD6UgjYoG5azIUf
        7gVTzrABwAmKTsQIorBk8kPIMTGc5Iflz9BT9GTsUyI38kUNEO7RtOGchJeI1sb6
        jooFcAuZAkEAxlYa6cTUtVLHx/GUrJX/BZF5gwPRn++clmW9JsyNrdhItBjFJmcu
        NTDW2m6BRshAUw1OGXPX3Qp/bkM7E2iq0QJBAIktqbFlgfR6fj34R60c6LGc1t2X
        urBsz7QSW/j6lJDBYIQddbJ8jU5BZNA6EYNOk0ITGUyYER8pbJPkx1ihhYkCQBwe
        GuSnReyK1s3OvuAUx7m3XP2o7e/5nT5pH/6/IxrRPcVieZivKgraaKtA3Uz2mL/t
        c/QBy0mH8nbkSxy+SvECQQCsDBTnIwYovJGUjEyOI09EseuIlQl+A/d/HhB+epAA
        +2w+A6khQ2d+7OltMaq24OQ6hoNcavntQpDq6sOlZfDv
        -----END RSA PRIVATE KEY-----
        """

    /// openssl req -x509 -sha256 -key rsa1024.pem -subj /CN=weak -days 1 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    static let rsa1024CACertificate = """
        -----BEGIN CERTIFICATE-----
        MIICCjCCAXOgAwIBAgIUBSnU2Zzhq3k2XuTaWNFEcEpN/9QwDQYJKoZIhvcNAQEL
        BQAwDzENMAsGA1UEAwwEd2VhazAeFw0yNjExMjkyMDIyMzNaFw0yNjExMzAyMDIy
        MzNaMA8xDTALBgNVBAMMBHdlYWswgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGB
        AMHvpLdu4hjECW9zE41L5Ow2ewG5To7ht117kGYjprmhbjpSH97bMEaQVScCc5M5
        6WZ4aVvNKNdNjIHGMaY0dlzI8QhOlobiO/uWLg9Ht8z/2wAtoKR2hDTjg1NLcgcc
        neH6qpiz6chsX+IDnD2nkrDPGSfV+Isz9HJJQ+7pVRHpAgMBAAGjYzBhMB0GA1Ud
        DgQWBBQA2aHeTtdFAjSPAvTfmagOBgjqJzAfBgNVHSMEGDAWgBQA2aHeTtdFAjSP
        AvTfmagOBgjqJzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjANBgkq
        hkiG9w0BAQsFAAOBgQARPXUj4dD0XVLmYJSnGjXInL3QRJ+Huv78kYIgdcDaWkea
        IRFW0SZ9eW7OvP8O8UNpUOZmAzVLDofozOPVoixwoRtWp8Pbrt65iyWfMINDhJh6
        Y1peYJyiDNUer/uSsA0UXIWP7RLJMgtyz8EYjJjG4MjIGjTJic/c64y0daJErQ==
        -----END CERTIFICATE-----
        """

    /// openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512
    static let rsa512Key = """
        -----BEGIN PRIVATE KEY-----
        MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAyL1fM4xd/tEitWxL
        JYtCx7b4QDIurT3QJ/g+Okh6dU4hCotR6tS8gJmF9VfHy8vp4azsD9AS0fESAc7r
        dwoupQIDAQABAkB/epuBretnTkK/efVC82xGTjDa+8NeqzmMmH5UHwD9iq8ZuzdO
        DgWnDtGG9fCwhO7dyliBJQbeSjU631yZRealAiEA62t/CjE/1Y+KMZrCO4LMkYzP
        cGLzFUnA1Diu3Z8D8FsCIQDaScMLs5HwaeswRfHPPhTogE8Cz32FITBZT6BUv8SM
        /wIhALL2ONDqt3gFcixbVSQgPpq2zErHLbsVIf0ySdw3sarZAiEAkOGoTVnwISuL
        6ExkRHMmGXMf/fONkhEHMCADgHyPji0CIQCndYxvbzJd7svjHMmT5cYtQYFKUkHN
        2wLOoQgZXw8lrA==
        -----END PRIVATE KEY-----
        """
}
