//! The work a request asks for: the lesson's prime core (`find_nth_prime`), its exact
//! operation counts, and the cost model that turns counts into CPU time. Leaves: they depend
//! on the kernel's time type only.

pub mod cost;
pub mod prime;
