//! The benchmark binary's global allocator: mimalloc, asked for ordinary blocks when Rust's
//! alignment is one mimalloc gives every block anyway.
//!
//! The `mimalloc` crate's `MiMalloc` passes every request to `mi_malloc_aligned`, whose fast path
//! only serves blocks of up to 1 KiB; a larger one (a `Pod` is 2,176 bytes, a `Container` 2,120)
//! takes the generic aligned path. Nearly every Rust allocation asks for an alignment of 16 or
//! less, which every mimalloc block has (`MI_MAX_ALIGN_SIZE`), so those go to `mi_malloc` and
//! `mi_realloc`; only larger alignments take the aligned calls.

// Unsafe code, as in `wasm-memcmp` and nowhere else in the workspace: a `GlobalAlloc` is an
// unsafe trait, and mimalloc is reached through its C functions.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// The alignment every block mimalloc returns has (its `MI_MAX_ALIGN_SIZE`).
const MIN_ALIGN: usize = 16;

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
