// The ivsim binary's report handler behind --strict: SystemC warnings are
// counted and the first named; infos are not; each is still handled as
// SystemC's default handler handles it.
#include <systemc>

#include <catch2/catch.hpp>

#include "sim/systemc_reports.h"

TEST_CASE("the ivsim binary's report handler counts SystemC warnings for --strict") {
  ivsim::count_systemc_reports();
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  CHECK(ivsim::systemc_warnings() == 0);
  SC_REPORT_INFO("ivsim/test", "an info");
  CHECK(ivsim::systemc_warnings() == 0);
  SC_REPORT_WARNING("ivsim/test", "the first warning");
  SC_REPORT_WARNING("ivsim/test", "the second warning");
  CHECK(ivsim::systemc_warnings() == 2);
  CHECK(ivsim::first_systemc_warning() == "ivsim/test: the first warning");
  // An error still throws, as SystemC's default handler makes it.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  CHECK_THROWS_AS(SC_REPORT_ERROR("ivsim/test", "an error"), sc_core::sc_report);
}
