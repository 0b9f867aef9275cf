import DovecotPeers

/// Dovecot over a pipe (the shared DovecotPeers support target).
typealias DovecotPeer = PreauthenticatedDovecot
