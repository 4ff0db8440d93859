//! Event id allocation. Ids are strictly increasing across restarts and never at or below an id already
//! advertised in a heartbeat (spec §1.9), even when the wall clock goes backwards.

use std::time::{SystemTime, UNIX_EPOCH};

use super::EventId;

#[derive(Debug)]
pub struct IdClock {
    /// Last id handed to a writer.
    last: EventId,
    /// Highest id advertised to a reader as a resume point.
    floor: EventId,
    /// Floor as last persisted in `meta`.
    persisted_floor: EventId,
    /// Highest id whose batch is durable.
    committed: EventId,
    in_flight: bool,
}

/// Wall-clock milliseconds since the epoch.
#[must_use]
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl IdClock {
    #[must_use]
    pub fn new(last: EventId, advertised: EventId) -> Self {
        Self {
            last,
            floor: advertised,
            persisted_floor: advertised,
            committed: last,
            in_flight: false,
        }
    }

    /// Next id for a writer: `<now>-0` when the clock moved on, else the successor of everything seen.
    pub fn allocate(&mut self, now_ms: u64) -> EventId {
        self.in_flight = true;
        let candidate = EventId::new(now_ms, 0);
        let after = self.last.max(self.floor).successor();
        let id = candidate.max(after);
        self.last = id;
        id
    }

    /// The writer's batch is durable (or abandoned): everything allocated so far is settled.
    pub fn settle(&mut self) -> EventId {
        self.in_flight = false;
        self.committed = self.last;
        self.committed
    }

    /// A resume point for an idle reader. While a batch is in flight only what is durable can be promised.
    /// Returns the id and whether the floor moved far enough to be worth persisting.
    pub fn advertise(&mut self, now_ms: u64) -> (EventId, bool) {
        if self.in_flight {
            return (self.committed, false);
        }
        let id = EventId::new(now_ms, 0).max(self.last).max(self.floor);
        self.floor = id;
        let persist = id.ms >= self.persisted_floor.ms.saturating_add(1000);
        if persist {
            self.persisted_floor = id;
        }
        (id, persist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_within_one_millisecond() {
        let mut c = IdClock::new(EventId::ZERO, EventId::ZERO);
        assert_eq!(c.allocate(100), EventId::new(100, 0));
        assert_eq!(c.allocate(100), EventId::new(100, 1));
        assert_eq!(c.allocate(101), EventId::new(101, 0));
    }

    #[test]
    fn clock_going_backwards_keeps_order() {
        let mut c = IdClock::new(EventId::new(500, 4), EventId::ZERO);
        assert_eq!(c.allocate(100), EventId::new(500, 5));
    }

    #[test]
    fn never_at_or_below_an_advertised_id() {
        let mut c = IdClock::new(EventId::new(10, 0), EventId::ZERO);
        assert_eq!(c.advertise(200), (EventId::new(200, 0), false));
        // Same millisecond as the advertisement: must go above it.
        assert_eq!(c.allocate(200), EventId::new(200, 1));
        c.settle();
        // Restart with a persisted floor ahead of the clock.
        let mut r = IdClock::new(EventId::new(200, 1), EventId::new(5000, 0));
        assert_eq!(r.allocate(300), EventId::new(5000, 1));
    }

    #[test]
    fn in_flight_batches_only_promise_what_is_durable() {
        let mut c = IdClock::new(EventId::new(10, 0), EventId::ZERO);
        let id = c.allocate(50);
        assert_eq!(c.advertise(60).0, EventId::new(10, 0));
        assert_eq!(c.settle(), id);
        assert_eq!(c.advertise(60).0, EventId::new(60, 0));
    }
}
