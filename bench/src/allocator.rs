//! The benchmark binary's global allocator: mimalloc, asked for ordinary blocks when Rust's
//! alignment is one mimalloc gives every block anyway.
//!
//! The `mimalloc` crate's `MiMalloc` passes every request to `mi_malloc_aligned`, whose fast path
//! only serves blocks of up to 1 KiB; a larger one (a `Pod` is 2,176 bytes, a `Container` 2,120)
//! takes the generic aligned path. Nearly every Rust allocation asks for an alignment of 16 or
//! less, which every mimalloc block has (`MI_MAX_ALIGN_SIZE`), so those go to `mi_malloc` and
//! `mi_realloc`; only larger alignments take the aligned calls.
//!
//! [`keep_freed_memory`] turns off mimalloc's purging of freed memory, which the binary calls
//! first thing.

// Unsafe code, as in `wasm-memcmp` and nowhere else in the workspace: a `GlobalAlloc` is an
// unsafe trait, and mimalloc is reached through its C functions.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// The alignment every block mimalloc returns has (its `MI_MAX_ALIGN_SIZE`).
const MIN_ALIGN: usize = 16;

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` (`mimalloc.h`, the same in
/// mimalloc 2 and 3), which `libmimalloc-sys` does not name for mimalloc 3.
const MI_OPTION_PURGE_DELAY: ffi::mi_option_t = 15;

/// Tells mimalloc never to give memory it has freed back to the kernel (`purge_delay` −1; its
/// default is to decommit pages left free for 10 ms, 100 ms for whole arena chunks).
///
/// A workload frees and allocates a lot between one moment and the next (each pod's older
/// versions, a batch's requests), so the pages purged one moment were faulted in and zeroed by
/// the kernel again the next: `envelope/3` took 3,918 and 2,178 page faults with purging
/// against about 1,140 without, and its wall time went from 32.15 and 29.05 s to 27.88 and 23.32
/// s, of which kernel time 4.97 and 2.64 s against 2.57 and 1.98 s (`MIMALLOC_PURGE_DELAY=-1`,
/// alternately), for 4 MiB more peak RSS. The peak is what the bench reports, and memory freed
/// before it is reused by the workload rather than given back.
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores the option's value; any value is valid for it.
    unsafe { ffi::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// mimalloc, with the plain entry points for ordinary alignments.
pub struct Mimalloc;

// SAFETY: each method forwards to the mimalloc function that meets `GlobalAlloc`'s contract for
// the layout: the plain ones only when the layout's alignment is at most the alignment every
// mimalloc block has, and `mi_free` frees blocks from either.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: see the impl.
            unsafe { ffi::mi_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: see the impl.
            unsafe { ffi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: see the impl.
            unsafe { ffi::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: see the impl.
            unsafe { ffi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: see the impl.
        unsafe { ffi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: see the impl.
            unsafe { ffi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: see the impl.
            unsafe {
                ffi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}
