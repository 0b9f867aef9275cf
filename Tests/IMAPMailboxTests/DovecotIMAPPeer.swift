import DovecotPeers

/// Dovecot over a pipe, one command at a time (`session`): the shared DovecotPeers support target.
typealias DovecotIMAPPeer = PreauthenticatedDovecot
