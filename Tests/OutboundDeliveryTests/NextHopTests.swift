import OutboundDelivery
import Testing

@Suite struct NextHopContractTests {
    @Test func describesAnAddressLiteral() {
        #expect(NextHop(target: .address("192.0.2.10"), port: 25).description == "[192.0.2.10]:25")
    }
}
