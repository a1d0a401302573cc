//! The deterministic world underneath the cluster: virtual time, timers and the seeded RNG.

pub mod clock;
pub mod rng;

pub use clock::{SimDuration, SimTime, TimerQueue};
pub use rng::SimRng;
