//! The allocator of every process that links auth-core: both servers, the
//! resource server, and compare, in whose process the bench's bare servers
//! run, so that the bench holds ours against the libraries on the same
//! allocator. glibc's malloc and free were about a sixth of a
//! `GET /protected` in the profile (issue 12); mimalloc's thread-local free
//! lists cost less for a server's many small, short-lived allocations.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
