// Test runner for SystemC testbenches. ctest runs each TEST_CASE in its own
// process (one elaboration per process); any SystemC warning or error fails
// the test.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

#include "sim/asan_options.h"

namespace {
void fail_on_report(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
  if (rep.get_severity() >= sc_core::SC_WARNING) {
    // FAIL_CHECK records without throwing: the report may come from inside a
    // SystemC process, where an exception would be turned into another report.
    FAIL_CHECK("SystemC " << (rep.get_severity() == sc_core::SC_WARNING ? "warning" : "error") << ": "
                          << rep.get_msg_type() << ": " << rep.get_msg());
  }
  sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_STOP & ~sc_core::SC_ABORT);
}
}  // namespace

int sc_main(int argc, char** argv) {
  sc_core::sc_report_handler::set_handler(fail_on_report);
  return Catch::Session().run(argc, argv);
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
