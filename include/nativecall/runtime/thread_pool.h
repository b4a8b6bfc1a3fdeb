// The one thread pool that every routine uses to spread independent work over cores.
#pragma once

#include <cstddef>
#include <functional>

namespace nativecall {

/* The number of threads a routine should use. `requested` is the user's
   `workers=`: positive, that many (at most max_workers()); negative, counted
   back from the number of cores as scipy does (-1: every core); 0, decide:
   a thread-safe callback gets every core and any other callback one thread,
   because foreign code may keep global state. Never returns less than 1. */
int resolve_workers(int requested, bool callback_thread_safe);

/* The most threads any routine uses (4 per core): more only adds contention. */
int max_workers();

/* Cores on this machine (at least 1). */
int hardware_workers();

/* Body of a parallel loop: handles [begin, end); `worker` is in [0, workers)
   and is stable within one call, so it may index per-thread scratch buffers. */
using ParallelBody = std::function<void(std::size_t begin, std::size_t end, int worker)>;

/* Run `body` over [0, n) in chunks of about `grain` items on up to `workers`
   threads; the calling thread is one of them. Chunks are handed out
   dynamically, so uneven work balances itself. If a chunk throws, no new
   chunks start and the first exception is rethrown here once all threads have
   stopped. With workers == 1, inside a pool job, or while the pool serves
   another caller, it runs inline on the calling thread. Runtime errors that
   compiled callbacks record on pool threads are re-recorded on the caller. */
void parallel_for(std::size_t n, int workers, const ParallelBody &body, std::size_t grain = 1);

} // namespace nativecall
