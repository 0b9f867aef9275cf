import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import TsubameConfig
import TsubamePKI

/// At start and then hourly: reissue the private CA's CRL when a third of its period is left
/// (see `CRLUpkeep`). The file work runs on a thread pool, never on an event loop.
struct CRLUpkeepService: Service {
    let dataFolder: DataFolder
    let configuration: NIOLockedValueBox<TsubameConfiguration>
    let threads: NIOThreadPool
    let logger: Logger
    var interval: Duration = .seconds(3600)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await check()
            // Sleeps until the next check, or returns at once on shutdown (the sleep is cancelled).
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    private func check() async {
        let paths = dataFolder.tlsPaths
        let crlURL = configuration.withLockedValue { $0.tls.crlURL }
        do {
            let outcome = try await threads.runIfActive { try CRLUpkeep.run(paths: paths, crlURL: crlURL) }
            if case .reissued(let number, let nextUpdate) = outcome {
                logger.notice("CRL \(number) issued to \(paths.crlPEM) and \(paths.crlDER); next update \(nextUpdate.formatted(.iso8601))")
            }
        } catch {
            logger.error("cannot reissue the CRL in \(paths.crlPEM): \(error); run `tsubame ca crl` before its next update")
        }
    }
}
