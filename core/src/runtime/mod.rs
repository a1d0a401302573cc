//! The simulated container runtime (containerd + the images' programs): the image catalog, a
//! per-container filesystem and a resumable shell for the commands the Kubernetes docs run.

pub mod catalog;
pub mod fs;
pub mod shell;
