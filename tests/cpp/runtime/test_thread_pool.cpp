// parallel_for: covers every index once, rethrows the first error, nests without deadlock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <stdexcept>
#include <vector>

#include "nativecall/runtime/error_record.h"
#include "nativecall/runtime/thread_pool.h"

using namespace nativecall;

TEST(ThreadPool, EveryIndexExactlyOnce) {
    for (int workers : {1, 2, 3, 8}) {
        std::vector<std::atomic<int>> hits(1000);
        parallel_for(hits.size(), workers, [&](std::size_t b, std::size_t e, int worker) {
            ASSERT_GE(worker, 0);
            ASSERT_LT(worker, workers);
            for (std::size_t i = b; i < e; ++i) hits[i]++;
        }, 7);
        for (auto &h : hits) ASSERT_EQ(h.load(), 1) << "workers=" << workers;
    }
}

TEST(ThreadPool, RethrowsFirstErrorAndStops) {
    std::atomic<int> ran{0};
    /* Each chunk takes a little time, so running them all would take far longer
       than noticing the failure, even on a loaded machine. */
    EXPECT_THROW(parallel_for(10000, 2, [&](std::size_t b, std::size_t, int) {
        ran++;
        if (b == 50) throw std::runtime_error("boom");
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }), std::runtime_error);
    EXPECT_LT(ran.load(), 10000);
    // The pool is still usable afterwards.
    std::atomic<int> sum{0};
    parallel_for(100, 2, [&](std::size_t b, std::size_t e, int) { sum += int(e - b); });
    EXPECT_EQ(sum.load(), 100);
}

TEST(ThreadPool, NestedCallsRunInline) {
    std::atomic<int> total{0};
    parallel_for(8, 2, [&](std::size_t, std::size_t, int) {
        parallel_for(10, 2, [&](std::size_t b, std::size_t e, int) { total += int(e - b); });
    });
    EXPECT_EQ(total.load(), 80);
}

TEST(ThreadPool, ResolveWorkers) {
    EXPECT_EQ(resolve_workers(3, false), std::min(3, max_workers()));
    EXPECT_EQ(resolve_workers(0, false), 1);
    EXPECT_EQ(resolve_workers(0, true), hardware_workers());
    EXPECT_EQ(resolve_workers(-1, false), hardware_workers());
    EXPECT_EQ(resolve_workers(-1000, false), 1);
    EXPECT_EQ(resolve_workers(100000, false), max_workers());
    EXPECT_GE(hardware_workers(), 1);
}

TEST(ThreadPool, ACallbackWaitingOnAnotherThreadsRoutineDoesNotDeadlock) {
    /* The outer job's chunk waits for a thread that runs its own parallel_for:
       that one must not wait for the busy pool. */
    std::atomic<int> inner_total{0};
    parallel_for(4, 2, [&](std::size_t, std::size_t, int) {
        std::thread other([&] {
            parallel_for(100, 2, [&](std::size_t b, std::size_t e, int) { inner_total += int(e - b); });
        });
        other.join();
    });
    EXPECT_EQ(inner_total.load(), 400);
}

TEST(ThreadPool, HugeWorkerCountsAreCapped) {
    std::atomic<int> max_seen{0};
    parallel_for(100000, 100000, [&](std::size_t, std::size_t, int worker) {
        int seen = max_seen.load();
        while (worker > seen && !max_seen.compare_exchange_weak(seen, worker)) {}
    });
    EXPECT_LT(max_seen.load(), max_workers());
}

TEST(ThreadPool, RuntimeErrorsRecordedOnPoolThreadsReachTheCaller) {
    take_runtime_error();
    for (int workers : {1, 2}) {
        parallel_for(64, workers, [&](std::size_t b, std::size_t e, int) {
            if (b <= 40 && 40 < e) record_runtime_error(RuntimeErrorCode::ZeroDivision);
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        });
        EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::ZeroDivision) << "workers=" << workers;
        EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::None);
    }
    nativecall_record_runtime_error(static_cast<int>(RuntimeErrorCode::IndexOutOfBounds));
    record_runtime_error(RuntimeErrorCode::ZeroDivision);  // the first error is kept
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::IndexOutOfBounds);
    EXPECT_STREQ(runtime_error_message(RuntimeErrorCode::ZeroDivision), "integer division or modulo by zero");
}
