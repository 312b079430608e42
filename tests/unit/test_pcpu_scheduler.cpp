#include <catch2/catch.hpp>

#include "models/host/pcpu_scheduler.h"

using namespace ivsim;

TEST_CASE("SCHED_IORR: a woken thread goes first and preempts, and a slice's end sends the runner to the tail") {
  constexpr TimePs kSlice = 10'000'000'000;
  PcpuScheduler s(3, SchedPolicy::iorr, SchedParams{kSlice, 1'000'000'000, 5'000'000'000});
  SchedEntity a, b, c;
  s.add(a);
  s.add(b);
  s.add(c);
  CHECK(s.wake(a, 0));  // idle pCPU
  CHECK(s.switch_in(a, 0) == kSlice);
  // sched_iorr_wake: each blocked thread that wakes goes to the head, and
  // wake_thread's reschedule request lets the head take the pCPU.
  CHECK(s.wake(b, 5));
  CHECK(s.wake(c, 6));
  CHECK(s.pick_next() == &c);
  // a is preempted 1 ms into its slice: to the tail, keeping the 9 ms left.
  CHECK(s.switch_out(a, 1'000'000'000, true) == &c);
  CHECK(a.left_ps == 9'000'000'000);
  CHECK(s.switch_in(c, 1'000'000'000) == 1'000'000'000 + kSlice);
  CHECK(c.context_switches == 1);
  CHECK(c.runnable_wait_ps == 1'000'000'000 - 6);
  // A runnable thread back in line (after its slice) preempts nobody.
  CHECK(s.switch_out(c, 1'000'000'000 + kSlice, true) == &b);
  s.switch_in(b, 1'000'000'000 + kSlice);
  CHECK_FALSE(s.wake(c, 1'000'000'000 + kSlice));
  // b blocks: out of the runqueue (sched_iorr_sleep); a is next, with what it had left.
  CHECK(s.switch_out(b, 2'000'000'000 + kSlice, false) == &a);
  CHECK(s.switch_in(a, 2'000'000'000 + kSlice) == 2'000'000'000 + kSlice + 9'000'000'000);
  // Then c, whose slice is replenished when it has none left.
  CHECK(s.switch_out(a, 2'000'000'000 + 2 * kSlice, true) == &c);
  CHECK(s.switch_in(c, 2'000'000'000 + 2 * kSlice) == 2'000'000'000 + 3 * kSlice);
}

TEST_CASE("SCHED_IORR ends a slice on the tick after it is used up, and the overrun comes off the next slice") {
  constexpr TimePs kMs = 1'000'000'000;
  // Ticks every 1 ms from 0.3 ms (sched_tick_handler).
  PcpuScheduler s(0, SchedPolicy::iorr, SchedParams{10 * kMs, kMs, 5 * kMs, kMs, 3 * kMs / 10});
  SchedEntity a, b;
  s.add(a);
  s.add(b);
  s.wake(a, 0);
  s.wake(b, 0);
  // b woke last, so it is first; its 10 ms are used up at 10 ms, which the
  // tick at 10.3 ms finds.
  CHECK(s.switch_in(b, 0) == 10 * kMs + 3 * kMs / 10);
  CHECK(s.switch_out(b, 10 * kMs + 3 * kMs / 10, true) == &a);
  CHECK(b.left_ps == -static_cast<i64>(3 * kMs / 10));
  s.switch_in(a, 10 * kMs + 3 * kMs / 10);
  // a blocks after 2 ms; b's next slice is 10 ms less its 0.3 ms overrun:
  // from 12.3 ms to 22 ms, found by the tick at 22.3 ms.
  CHECK(s.switch_out(a, 12 * kMs + 3 * kMs / 10, false) == &b);
  CHECK(s.switch_in(b, 12 * kMs + 3 * kMs / 10) == 22 * kMs + 3 * kMs / 10);
  CHECK(b.left_ps == static_cast<i64>(97 * kMs / 10));
}

TEST_CASE("SCHED_PRIO runs the highest priority and a higher-priority wake-up preempts") {
  PcpuScheduler s(0, SchedPolicy::prio, SchedParams{});
  SchedEntity low, high;
  low.priority = 0;
  high.priority = 1;
  s.add(low);
  s.add(high);
  s.wake(low, 0);
  s.switch_in(low, 0);
  CHECK(s.wake(high, 100));
  CHECK(s.switch_out(low, 100, true) == &high);
}

TEST_CASE("SCHED_BVT picks the least virtual time and weights scale it") {
  PcpuScheduler s(0, SchedPolicy::bvt, SchedParams{10'000'000'000, 1'000'000'000, 5'000'000'000});
  SchedEntity heavy, light;
  heavy.weight = 2;
  s.add(heavy);
  s.add(light);
  s.wake(heavy, 0);
  s.wake(light, 0);
  s.switch_in(heavy, 0);
  s.switch_out(heavy, 2'000'000'000, true);  // 2 ms at weight 2: 1 ms of virtual time
  CHECK(heavy.avt_ps == 1'000'000'000);
  s.switch_in(light, 2'000'000'000);
  s.switch_out(light, 4'000'000'000, true);  // 2 ms at weight 1
  CHECK(light.avt_ps == 2'000'000'000);
  CHECK(s.pick_next() == &heavy);
  // A waking thread preempts only when behind by more than the allowance.
  s.switch_in(heavy, 4'000'000'000);
  SchedEntity late;
  s.add(late);
  CHECK_FALSE(s.wake(late, 4'000'000'000));  // avt 0 vs 1 ms: within the 5 ms allowance
}
