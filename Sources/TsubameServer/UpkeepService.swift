import Foundation
import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import TsubameConfig
import TsubamePKI

/// Housekeeping at start and then hourly, on thread pools (never on an event loop):
/// - renew the server certificates the private CA issued when 30 days are left, then load them
///   (`CertificateRenewal`); say in the log, daily, which other certificates expire soon;
/// - reissue the private CA's CRL when a third of its period is left (`CRLUpkeep`);
/// - remove files left in Maildir tmp/ folders for over 36 hours (`TemporaryFileSweep`).
struct UpkeepService: Service {
    let dataFolder: DataFolder
    let configuration: LiveConfiguration
    let pkiThreads: NIOThreadPool
    let storageThreads: NIOThreadPool
    let tls: TLSContextProvider
    let logger: Logger
    var interval: Duration = .seconds(3600)
    /// Expiry warnings for certificates Tsubame cannot renew: at start, then every this many rounds.
    var warningRounds = 24

    func run() async throws {
        var round = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await renewCertificates(warn: round % warningRounds == 0)
            round += 1
            await refreshRevocationList()
            await sweepTemporaryFiles()
            // Sleeps until the next round, or returns at once on shutdown (the sleep is cancelled).
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    private func renewCertificates(warn: Bool) async {
        let settings = configuration.snapshot.settings
        guard settings.usesTLS else { return }
        let paths = dataFolder.tlsPaths
        let defaults = TLSSettings()
        let includeDefault = settings.tls.certificate == defaults.certificate && settings.tls.key == defaults.key
        let sniDirectory = tls.resolve(settings.tls.sniDirectory)
        let crlURL = settings.tls.crlURL.isEmpty ? nil : settings.tls.crlURL
        do {
            let outcome = try await pkiThreads.runIfActive {
                try CertificateRenewal.run(paths: paths, includeDefault: includeDefault, sniDirectory: sniDirectory, crlURL: crlURL)
            }
            for renewed in outcome.renewed {
                logger.notice("renewed the certificate for \(renewed.names.joined(separator: ", ")) in \(renewed.location) (valid until \(renewed.notAfter.formatted(.iso8601)))")
            }
            if !outcome.renewed.isEmpty {
                try tls.load(settings.tls)
                logger.notice("TLS certificates reloaded")
            }
            if warn {
                for expiring in outcome.expiring {
                    logger.warning("the certificate for \(expiring.names.joined(separator: ", ")) in \(expiring.location) expires \(expiring.notAfter.formatted(.iso8601)) and is not renewed: \(expiring.reason)")
                }
            }
        } catch {
            logger.error("certificate renewal failed: \(error)")
        }
    }

    private func refreshRevocationList() async {
        let paths = dataFolder.tlsPaths
        let crlURL = configuration.snapshot.settings.tls.crlURL
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
