//! The process's memory allocator: mimalloc, with a longer delay before freed memory goes back
//! to the operating system.
//!
//! mimalloc cuts the cost of the many small allocations of JSON parsing by about a third
//! against the system allocator (measured with `cargo bench -p riposte-ingest --bench decode`).
//!
//! It runs mimalloc 2, the binding's `v2` feature, rather than mimalloc 3. Against version 3,
//! the hunt ran 2.5% fewer instructions on the 50,000-record benchmark data set. On the
//! 200,000-record set, five runs of each peaked at 171 to 172 MiB instead of 185 to 203 MiB,
//! and took less system time.
//!
//! By default mimalloc 2 returns memory that stayed free for 10 ms. A hunt frees and
//! allocates steadily as records pass through, so pages went back to the system and were
//! faulted in and zeroed again moments later. A ten-second delay keeps them with the process
//! while the hunt runs. Memory left free for longer still goes back.

use std::ffi::c_long;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`, number 15 of `mi_option_e` in mimalloc 2's `include/mimalloc.h`.
/// The Rust binding names no constant for it.
const OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before it goes back, in milliseconds.
const PURGE_DELAY_MS: c_long = 10_000;

/// Sets the allocator's options. Call it first in `main`, before any other thread starts.
pub fn configure() {
    // SAFETY: `mi_option_set` only stores the value. It is not thread safe, so it runs at the
    // start of `main`, while the process has one thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(OPTION_PURGE_DELAY, PURGE_DELAY_MS);
    }
}
