// libFuzzer driver of ivsim::fuzz::acrn_scenario_xml (fuzz/targets/targets.h).
#include <spdlog/spdlog.h>

#include "fuzz/targets/targets.h"

extern "C" int sc_main(int, char**) { return 0; }  // libsystemc.so references it; no kernel here

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ivsim::fuzz::acrn_scenario_xml(data, size);
  return 0;
}
