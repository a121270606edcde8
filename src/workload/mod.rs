//! The work a request asks for: the lesson's prime core (`find_nth_prime`), its exact
//! operation counts, and the cost model that turns counts into CPU time; and the request
//! types of a user's own service, made of steps whose durations are fixed or drawn from
//! distributions. Leaves: they depend on the kernel's time and random streams only.

pub mod byte_size;
pub mod cost;
pub mod distribution;
pub mod prime;
pub mod request_type;
