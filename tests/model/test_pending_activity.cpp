// The kernel's next activity as the vCPUs ask for it
// (models/core/pending_activity.h): kept between questions, yet never older
// than a notification a model made or the evaluation phase it was asked in.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <systemc>

#include <catch2/catch.hpp>

#include "models/core/pending_activity.h"

using namespace ivsim;
using sc_core::SC_NS;
using sc_core::sc_time;

TEST_CASE("the kernel's next activity follows every model notification and every evaluation phase") {
  sc_core::sc_event later;
  TimePs at_start = 0, after_notify = 0, next_phase = 0, again = 0;
  // Something due at 10 ns all along.
  sc_core::sc_spawn([] { sc_core::wait(sc_time(10, SC_NS)); });
  sc_core::sc_spawn([&] {
    sc_core::wait(sc_time(1, SC_NS));
    at_start = pending_activity::time_to_next_ps();
    pending_activity::notify(later, sc_time(2, SC_NS));  // due at 3 ns
    after_notify = pending_activity::time_to_next_ps();
    sc_core::wait(sc_time(1, SC_NS));
    next_phase = pending_activity::time_to_next_ps();
    again = pending_activity::time_to_next_ps();
  });
  sc_core::sc_start();
  CHECK(at_start == 9'000);      // the 10 ns wait, from 1 ns
  CHECK(after_notify == 2'000);  // the notification, not the answer kept
  CHECK(next_phase == 1'000);    // at 2 ns: the notification at 3 ns
  CHECK(again == 1'000);
}
