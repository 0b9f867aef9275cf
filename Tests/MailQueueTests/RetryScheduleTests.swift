import Foundation
import Testing
@testable import MailQueue

@Suite("Retry schedule")
struct RetryScheduleTests {
    let schedule = RetrySchedule()

    @Test func startsAtFiveMinutesAndDoubles() {
        #expect(schedule.delay(afterAttempts: 1, sample: 0) == 300)
        #expect(schedule.delay(afterAttempts: 2, sample: 0) == 600)
        #expect(schedule.delay(afterAttempts: 3, sample: 0) == 1200)
        #expect(schedule.delay(afterAttempts: 4, sample: 0) == 2400)
    }

    @Test func neverWaitsMoreThanAnHourBetweenTries() {
        #expect(schedule.delay(afterAttempts: 5, sample: 0) == 3600)
        #expect(schedule.delay(afterAttempts: 500, sample: 0) == 3600)
        #expect(schedule.delay(afterAttempts: Int.max, sample: 0) == 3600)
    }

    @Test func jitterStretchesOrShrinksByAtMostTenPercent() {
        #expect(schedule.delay(afterAttempts: 1, sample: 1) == 330)
        #expect(schedule.delay(afterAttempts: 1, sample: -1) == 270)
        #expect(schedule.delay(afterAttempts: 5, sample: 0.5) == 3780)
        // A source out of range is clamped, so no delay ever leaves the ±10 % band.
        #expect(schedule.delay(afterAttempts: 1, sample: 7) == 330)
        #expect(schedule.delay(afterAttempts: 1, sample: -7) == 270)
    }

    @Test func systemJitterStaysInItsRange() {
        for _ in 0..<1000 {
            let delay = schedule.delay(afterAttempts: 1, sample: JitterSource.system.next())
            #expect(delay >= 270 && delay <= 330)
        }
    }

    @Test func messagesExpireAfterFiveDaysByDefault() {
        let arrival = Date(timeIntervalSince1970: 1_000)
        #expect(schedule.expiry(arrival: arrival) == Date(timeIntervalSince1970: 1_000 + 5 * 86_400))
        #expect(schedule.delayWarning == 4 * 3600)
    }
}
