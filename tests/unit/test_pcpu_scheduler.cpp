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

TEST_CASE("SCHED_PRIO: every wake-up asks for a reschedule that a higher priority wins and the runner otherwise") {
  // wake_thread calls make_reschedule_request whatever the priorities;
  // sched_prio_pick_next takes the runqueue's first.
  PcpuScheduler s(0, SchedPolicy::prio, SchedParams{});
  SchedEntity low, high;
  low.priority = 0;
  high.priority = 1;
  s.add(low);
  s.add(high);
  s.wake(high, 0);
  s.switch_in(high, 0);
  CHECK(s.wake(low, 50));                        // lower: a reschedule all the same
  CHECK(s.switch_out(high, 50, true) == &high);  // which picks the runner again
  s.switch_in(high, 50);
  CHECK(high.context_switches == 0);
  CHECK(s.switch_out(high, 100, false) == &low);  // high blocks: low runs
  s.switch_in(low, 100);
  CHECK(s.wake(high, 200));  // higher: preempts
  CHECK(s.switch_out(low, 200, true) == &high);
}

TEST_CASE("SCHED_PRIO keeps equal priorities in the order they woke") {
  PcpuScheduler s(0, SchedPolicy::prio, SchedParams{});
  SchedEntity a, b, c;
  s.add(a);
  s.add(b);
  s.add(c);
  s.wake(a, 0);
  s.switch_in(a, 0);
  // prio_queue_add: after every thread of the same priority. Each wake-up
  // asks for a reschedule, which picks a again.
  CHECK(s.wake(c, 1));
  CHECK(s.wake(b, 2));
  CHECK(s.switch_out(a, 3, true) == &a);
  s.switch_in(a, 3);
  CHECK(s.switch_out(a, 3, false) == &c);
  s.switch_in(c, 3);
  CHECK(s.switch_out(c, 4, false) == &b);
}

TEST_CASE("SCHED_BVT aligns svt at a pick from idle: a sleeper that wakes next starts no further behind") {
  // sched_bvt_pick_next calls update_svt at every pick; sched_bvt_wake
  // lifts a sleeper's avt to svt when it lags by more than the allowance.
  constexpr TimePs kMs = 1'000'000'000;
  PcpuScheduler s(0, SchedPolicy::bvt, SchedParams{10 * kMs, kMs, 5 * kMs});
  SchedEntity a, b;
  s.add(a);
  s.add(b);
  s.wake(a, 0);
  s.switch_in(a, 0);
  CHECK(s.switch_out(a, 10 * kMs, false) == nullptr);  // a sleeps; the pCPU idles
  CHECK(a.avt == 10 * 1024);
  s.wake(a, 20 * kMs);
  s.switch_in(a, 20 * kMs);  // picked from idle: svt is a's avt
  CHECK(s.wake(b, 21 * kMs));
  CHECK(b.avt == 10 * 1024);
}

TEST_CASE(
    "SCHED_BVT picks the least virtual time, scales it by weight, and runs the first for its lead plus the allowance") {
  constexpr TimePs kMs = 1'000'000'000;
  PcpuScheduler s(0, SchedPolicy::bvt, SchedParams{10 * kMs, kMs, 5 * kMs});
  SchedEntity heavy, light;
  heavy.weight = 2;  // vt_ratio 512: 512 units per ms
  s.add(heavy);
  s.add(light);  // vt_ratio 1024
  s.wake(heavy, 0);
  CHECK(s.wake(light, 0));  // nobody running yet
  // Equal evt: heavy came first. Its lead over light is 0, so it runs for
  // the allowance, 5 units of 1 ms (sched_bvt_pick_next's one-shot timer).
  CHECK(s.pick_next() == &heavy);
  CHECK(s.switch_in(heavy, 0) == 5 * kMs);
  CHECK(s.switch_out(heavy, 5 * kMs, true) == &light);
  CHECK(heavy.avt == 5 * 512);
  // light leads by 2560 units, 2.5 ms at its ratio (2 whole units), plus 5.
  CHECK(s.switch_in(light, 5 * kMs) == 12 * kMs);
  CHECK(s.switch_out(light, 12 * kMs, true) == &heavy);
  CHECK(light.avt == 7 * 1024);
  // A thread waking from a long sleep starts at svt, not at its old avt;
  // its wake asks the runner to reschedule.
  s.switch_in(heavy, 12 * kMs);
  SchedEntity late;
  s.add(late);
  CHECK(s.wake(late, 12 * kMs));
  CHECK(late.avt == heavy.avt);  // svt: the first's avt when heavy was picked
  // heavy's vt is brought up to date at the reschedule: 1 ms later it is behind late.
  CHECK(s.switch_out(heavy, 13 * kMs, true) == &late);
  // A blocked thread leaves the runqueue.
  s.switch_in(late, 13 * kMs);
  CHECK(s.switch_out(late, 14 * kMs, false) == &heavy);
  CHECK(s.switch_in(heavy, 14 * kMs) > 14 * kMs);
}
