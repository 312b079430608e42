// libFuzzer driver of the guest-traffic target (fuzz/targets/guest_traffic.h):
// the platform is elaborated on the first input and lives for the whole
// process; each input runs on it in turn (see GuestTraffic).
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <systemc>

#include "fuzz/targets/guest_traffic.h"
#include "fuzz/targets/targets.h"
#include "sim/asan_options.h"

extern "C" int sc_main(int, char**) { return 0; }  // libsystemc.so references it

namespace {

// Any SystemC warning or error is a bug the fuzzer found.
void abort_on_report(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
  sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_STOP & ~sc_core::SC_ABORT);
  if (rep.get_severity() >= sc_core::SC_WARNING) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  spdlog::set_level(spdlog::level::off);
  sc_core::sc_report_handler::set_handler(abort_on_report);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ivsim::fuzz::GuestTraffic* traffic = new ivsim::fuzz::GuestTraffic();  // lives as long as the kernel
  traffic->run(data, size);
  return 0;
}
