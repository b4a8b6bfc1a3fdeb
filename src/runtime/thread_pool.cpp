// A persistent pool of worker threads with dynamic chunk scheduling for parallel_for.
#include "nativecall/runtime/thread_pool.h"

#include "nativecall/runtime/error_record.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nativecall {

/* Read once: glibc counts the online CPUs by reading /sys on every call (~20 us,
   more than a small routine call costs), and every routine call resolves workers. */
int hardware_workers() {
    static const int cores = [] {
        unsigned n = std::thread::hardware_concurrency();
        return n == 0 ? 1 : static_cast<int>(n);
    }();
    return cores;
}

int max_workers() { return 4 * hardware_workers(); }

int resolve_workers(int requested, bool callback_thread_safe) {
    if (requested > 0) return std::min(requested, max_workers());
    if (requested < 0) return std::max(1, hardware_workers() + 1 + requested);  // -1: every core
    return callback_thread_safe ? hardware_workers() : 1;
}

namespace {

/* Set on pool threads and on a caller while its job runs. */
thread_local bool inside_pool_job = false;

/* One parallel_for call in flight: the shared cursor and the first error. */
struct Job {
    std::size_t n = 0, grain = 1;
    const ParallelBody *body = nullptr;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    RuntimeErrorCode runtime_error = RuntimeErrorCode::None;  // first one any thread recorded
    std::mutex error_mutex;

    void run(int worker) {
        while (!failed.load(std::memory_order_relaxed)) {
            std::size_t begin = next.fetch_add(grain);
            if (begin >= n) break;
            std::size_t end = std::min(n, begin + grain);
            try {
                (*body)(begin, end, worker);
            } catch (...) {
                failed = true;  // first, so other threads stop taking chunks at once
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        }
        /* Compiled callbacks record errors per thread; carry a pool thread's
           record back so the caller sees it after parallel_for returns. */
        RuntimeErrorCode code = take_runtime_error();
        if (code != RuntimeErrorCode::None) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (runtime_error == RuntimeErrorCode::None) runtime_error = code;
        }
    }
};

/* Threads are started on first use and kept, so a routine called in a loop
   does not pay thread creation each time. The pool serves one job at a time:
   a parallel_for that finds it busy (another Python thread's routine, or a
   routine started from inside a callback on some other thread) runs inline on
   its own thread instead of waiting, so no wait can ever close a cycle. */
class Pool {
public:
    static Pool &instance() {
        static Pool *pool = new Pool();  // never destroyed: threads may outlive static teardown
        return *pool;
    }

    /* Runs `job` on the pool and returns true, or returns false at once when
       the pool is serving another job. */
    bool try_run(Job &job, int workers) {
        std::unique_lock<std::mutex> serial(submit_mutex_, std::try_to_lock);
        if (!serial.owns_lock()) return false;
        ensure_threads(workers - 1);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            helpers_wanted_ = workers - 1;
            helpers_joined_ = 0;
            helpers_done_ = 0;
            ++generation_;
        }
        wake_.notify_all();
        job.run(0);
        /* The caller waits only for helpers that joined before it ran out of chunks:
           one still waking up (tens of microseconds here) would find nothing left, and
           waiting for it made every small job as slow as a thread wake-up. */
        std::unique_lock<std::mutex> lock(mutex_);
        job_ = nullptr;
        done_.wait(lock, [&] { return helpers_done_ == helpers_joined_; });
        return true;
    }

private:
    void ensure_threads(int count) {
        while (static_cast<int>(threads_.size()) < count) {
            int index = static_cast<int>(threads_.size());
            threads_.emplace_back([this, index] { loop(index); });
            threads_.back().detach();
        }
    }

    void loop(int index) {
        inside_pool_job = true;
        std::size_t seen = 0;
        for (;;) {
            Job *job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                /* Not wanted, or the job is over (the caller took every chunk). */
                if (index >= helpers_wanted_ || job_ == nullptr) continue;
                job = job_;
                ++helpers_joined_;
            }
            job->run(index + 1);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                ++helpers_done_;
            }
            done_.notify_all();
        }
    }

    std::mutex submit_mutex_, mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> threads_;
    Job *job_ = nullptr;   // the job helpers may still join; null once the caller stops waiting for more
    int helpers_wanted_ = 0, helpers_joined_ = 0, helpers_done_ = 0;
    std::size_t generation_ = 0;
};

} // namespace

void parallel_for(std::size_t n, int workers, const ParallelBody &body, std::size_t grain) {
    if (n == 0) return;
    grain = std::max<std::size_t>(grain, 1);
    std::size_t chunks = (n + grain - 1) / grain;
    workers = static_cast<int>(std::min<std::size_t>(std::clamp(workers, 1, max_workers()), chunks));
    /* A nested call (a routine inside a callback run by the pool) runs inline:
       the pool is busy with the outer job, and waiting for it would deadlock. */
    if (workers == 1 || inside_pool_job) {
        body(0, n, 0);
        return;
    }
    Job job;
    job.n = n;
    job.grain = grain;
    job.body = &body;
    inside_pool_job = true;
    struct Reset { ~Reset() { inside_pool_job = false; } } reset;
    if (!Pool::instance().try_run(job, workers)) {
        body(0, n, 0);
        return;
    }
    if (job.runtime_error != RuntimeErrorCode::None) record_runtime_error(job.runtime_error);
    if (job.error) std::rethrow_exception(job.error);
}

} // namespace nativecall
