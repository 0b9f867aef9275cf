import Foundation
import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import TsubameConfig
import TsubamePKI

/// Housekeeping at start and then hourly, on thread pools (never on an event loop):
/// - reissue the private CA's CRL when a third of its period is left (`CRLUpkeep`);
/// - remove files left in Maildir tmp/ folders for over 36 hours (`TemporaryFileSweep`).
struct UpkeepService: Service {
    let dataFolder: DataFolder
    let configuration: NIOLockedValueBox<TsubameConfiguration>
    let pkiThreads: NIOThreadPool
    let storageThreads: NIOThreadPool
    let logger: Logger
    var interval: Duration = .seconds(3600)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await refreshRevocationList()
            await sweepTemporaryFiles()
            // Sleeps until the next round, or returns at once on shutdown (the sleep is cancelled).
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    private func refreshRevocationList() async {
        let paths = dataFolder.tlsPaths
        let crlURL = configuration.withLockedValue { $0.tls.crlURL }
        do {
            let outcome = try await pkiThreads.runIfActive { try CRLUpkeep.run(paths: paths, crlURL: crlURL) }
            if case .reissued(let number, let nextUpdate) = outcome {
                logger.notice("CRL \(number) issued to \(paths.crlPEM) and \(paths.crlDER); next update \(nextUpdate.formatted(.iso8601))")
            }
        } catch {
            logger.error("cannot reissue the CRL in \(paths.crlPEM): \(error); run `tsubame ca crl` before its next update")
        }
    }

    private func sweepTemporaryFiles() async {
        let directory = dataFolder.path
        guard let swept = try? await storageThreads.runIfActive({ TemporaryFileSweep.run(dataDirectory: directory) }) else {
            return
        }
        if swept.files > 0 {
            logger.notice("removed \(swept.files) unfinished deliveries (\(swept.bytes) bytes) older than 36 hours from tmp/ folders")
        }
    }
}
