import ServiceLifecycle

/// A service that starts its work only once `serve` no longer runs as root: housekeeping that
/// writes in the data folder (renewed certificates, CRLs) must never create files root owns.
struct AfterPrivilegeDrop<Wrapped: Service>: Service {
    let latch: OneShotLatch
    let service: Wrapped

    func run() async throws {
        // A shutdown, or a start that failed before the drop, ends the wait and the service.
        let open = await cancelWhenGracefulShutdown { await latch.wait() }
        guard open else { return }
        try await service.run()
    }
}
