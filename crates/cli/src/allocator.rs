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
//!
//! The `mimalloc` crate passes every request to `mi_malloc_aligned`, which checks the
//! alignment before it takes a block. Requests whose alignment any `malloc` block already has
//! go to `mi_malloc` and `mi_realloc` here instead, as the standard library's `System`
//! allocator does with the C library's `malloc`. On the 50,000-record benchmark data set,
//! that ran 1.7% fewer instructions.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_long, c_void};

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// The alignment that `malloc` gives every block of at least this many bytes: the alignment
/// of C's `max_align_t` on x86-64 and AArch64. mimalloc names it `MI_MAX_ALIGN_SIZE`, and the
/// standard library's `System` allocator uses the same value, `MIN_ALIGN`, on these targets.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const MALLOC_ALIGN: usize = 16;

/// Zero on other targets, so that every request goes to mimalloc's aligned functions.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const MALLOC_ALIGN: usize = 0;

/// Returns true when a `malloc` block of `size` bytes is aligned enough for `align`. A block
/// of at least [`MALLOC_ALIGN`] bytes has that alignment. A smaller block is aligned for any
/// type that fits in it, and an alignment no larger than the size is such a type's.
fn malloc_aligns(size: usize, align: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

/// mimalloc behind the allocator interface of Rust.
struct Mimalloc;

// SAFETY: every pointer comes from mimalloc, which is thread safe, and is freed or resized by
// mimalloc. A block from `mi_malloc`, `mi_zalloc` or `mi_realloc` is only returned when
// `malloc_aligns` is true, so it has the layout's alignment. Other layouts go to the aligned
// functions, as in the `mimalloc` crate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the `unsafe impl`.
        unsafe {
            if malloc_aligns(layout.size(), layout.align()) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the `unsafe impl`.
        unsafe {
            if malloc_aligns(layout.size(), layout.align()) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator, so from mimalloc. See the `unsafe impl`.
        unsafe {
            if malloc_aligns(new_size, layout.align()) {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes and alignments on both sides of `malloc_aligns`.
    const LAYOUTS: [(usize, usize); 10] = [
        (1, 1),
        (3, 2),
        (8, 8),
        (8, 16),
        (16, 16),
        (24, 8),
        (48, 16),
        (100, 32),
        (4096, 64),
        (70_000, 4096),
    ];

    #[test]
    #[allow(unsafe_code)]
    fn blocks_have_layout_alignment() {
        for (size, align) in LAYOUTS {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: the layout has a non-zero size, and the block is freed with it.
            unsafe {
                let block = ALLOCATOR.alloc(layout);
                assert!(!block.is_null(), "{size} bytes");
                assert_eq!(block as usize % align, 0, "{size} bytes aligned to {align}");
                ALLOCATOR.dealloc(block, layout);

                let zeroed = ALLOCATOR.alloc_zeroed(layout);
                assert_eq!(zeroed as usize % align, 0, "{size} zeroed bytes");
                assert!(
                    std::slice::from_raw_parts(zeroed, size)
                        .iter()
                        .all(|&b| b == 0)
                );
                ALLOCATOR.dealloc(zeroed, layout);
            }
        }
    }

    #[test]
    #[allow(unsafe_code)]
    fn realloc_keeps_alignment_and_bytes() {
        for (size, align) in LAYOUTS {
            for new_size in [1, size / 2 + 1, size * 3] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: the block is written within its size, resized with its layout and
                // freed with the layout of its new size.
                unsafe {
                    let block = ALLOCATOR.alloc(layout);
                    for offset in 0..size {
                        block.add(offset).write(offset as u8);
                    }
                    let moved = ALLOCATOR.realloc(block, layout, new_size);
                    assert!(!moved.is_null());
                    assert_eq!(moved as usize % align, 0, "{size} to {new_size} bytes");
                    for offset in 0..size.min(new_size) {
                        assert_eq!(moved.add(offset).read(), offset as u8);
                    }
                    ALLOCATOR.dealloc(moved, Layout::from_size_align(new_size, align).unwrap());
                }
            }
        }
    }
}
