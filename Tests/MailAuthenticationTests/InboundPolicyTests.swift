@testable import MailAuthentication
import Testing

/// What `[checks]` does with hand-made outcomes (DKIM's verifier is not needed to decide).
@Suite struct InboundPolicyTests {
    func outcome(spf: SPFResult = .none, dmarc: DMARCResult = .none, policy: DMARCPolicy? = nil,
                 requested: DMARCPolicy? = nil, explanation: String? = nil) -> InboundCheckOutcome {
        let spfOutcome = SPFOutcome(result: spf, domain: "example.com", reason: "matched -all", explanation: explanation)
        let dmarcOutcome = DMARCOutcome(result: dmarc, fromDomain: "example.com", policy: policy,
                                        requestedPolicy: requested ?? policy, reason: "SPF fail, no DKIM pass with example.com")
        return InboundCheckOutcome(spf: spfOutcome, heloSPF: SPFOutcome(result: .none, domain: "h", reason: ""), dkim: [],
                                   dmarc: dmarcOutcome, authenticationResults: "")
    }

    @Test func rejectsADMARCFailureUnderPReject() {
        let verdict = InboundPolicy().verdict(for: outcome(spf: .fail, dmarc: .fail, policy: .reject))
        #expect(verdict == .reject(enhancedCode: "5.7.1",
                                   text: "DMARC policy of example.com rejects the message: SPF fail, no DKIM pass with example.com"))
    }

    @Test func quarantinesAPRejectFailureWhenRejectionIsOff() {
        let policy = InboundPolicy(rejectDMARCFailures: false)
        #expect(policy.verdict(for: outcome(dmarc: .fail, policy: .reject)) == .accept(quarantine: true))
    }

    @Test func quarantinesADMARCFailureUnderPQuarantine() {
        #expect(InboundPolicy().verdict(for: outcome(dmarc: .fail, policy: .quarantine)) == .accept(quarantine: true))
    }

    @Test func acceptsADMARCFailureUnderPNoneEvenWithAnSPFFail() {
        let policy = InboundPolicy(spfFail: .reject)
        #expect(policy.verdict(for: outcome(spf: .fail, dmarc: .fail, policy: DMARCPolicy.none)) == .accept(quarantine: false))
    }

    @Test func acceptsADMARCPassWhateverSPFSays() {
        let policy = InboundPolicy(spfFail: .reject)
        #expect(policy.verdict(for: outcome(spf: .fail, dmarc: .pass, policy: .reject)) == .accept(quarantine: false))
    }

    @Test func rejectsAnSPFFailWithoutDMARCWhenAsked() {
        let verdict = InboundPolicy(spfFail: .reject).verdict(for: outcome(spf: .fail, explanation: "see https://example.com/spf"))
        #expect(verdict == .reject(enhancedCode: "5.7.23",
                                   text: "SPF check of example.com failed (matched -all): see https://example.com/spf"))
    }

    @Test func marksAnSPFFailWithoutDMARCByDefault() {
        #expect(InboundPolicy().verdict(for: outcome(spf: .fail)) == .accept(quarantine: true))
        #expect(InboundPolicy().verdict(for: outcome(spf: .softfail)) == .accept(quarantine: false))
    }

    @Test func appliesTheSPFRuleWhenTheMessageHasNoSingleFrom() {
        #expect(InboundPolicy(spfFail: .reject).verdict(for: outcome(spf: .fail, dmarc: .permerror)).isReject)
    }

    @Test func asksToTryAgainWhenADMARCTemperrorCouldMeanRefusal() {
        let unknown = InboundPolicy().verdict(for: outcome(dmarc: .temperror))
        #expect(unknown == .tryAgain(enhancedCode: "4.7.0",
                                     text: "DMARC check of example.com failed temporarily: SPF fail, no DKIM pass with example.com"))
        #expect(InboundPolicy().verdict(for: outcome(dmarc: .temperror, policy: .quarantine)).isTryAgain)
        #expect(InboundPolicy().verdict(for: outcome(dmarc: .temperror, policy: DMARCPolicy.none)) == .accept(quarantine: false))
    }

    @Test func asksToTryAgainOnAnSPFTemperrorOnlyWhenSPFFailsWouldBeRefused() {
        #expect(InboundPolicy(spfFail: .reject).verdict(for: outcome(spf: .temperror)).isTryAgain)
        #expect(InboundPolicy(spfFail: .mark).verdict(for: outcome(spf: .temperror)) == .accept(quarantine: false))
    }
}

/// The identities InboundCheck hands to SPF (the check itself needs DKIM's verifier).
@Suite struct InboundCheckIdentityTests {
    @Test(arguments: [("mail.example.com", true), ("mail.example.com.", true), ("[192.0.2.1]", false), ("192.0.2.1", false),
                      ("localhost", false), ("-bad.example.com", false), ("a..b", false), ("", false)])
    func checksSPFForAHELOOnlyWhenItIsADomainName(helo: String, isDomain: Bool) {
        #expect(InboundCheck.isDomainName(helo) == isDomain)
    }

    @Test func takesTheDomainAfterTheLastAt() {
        #expect(InboundCheck.domain(of: "\"a@b\"@Example.COM") == "example.com")
    }
}

extension InboundPolicy.Verdict {
    var isReject: Bool { if case .reject = self { true } else { false } }
    var isTryAgain: Bool { if case .tryAgain = self { true } else { false } }
}
