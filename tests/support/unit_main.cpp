// Test runner for tests that never elaborate a SystemC design: plain-C++
// cores, parsers and whole runs through the ivsim binary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

// libsystemc.so references sc_main; these tests never start the kernel.
extern "C" int sc_main(int, char**) { return 0; }

int main(int argc, char** argv) { return Catch::Session().run(argc, argv); }
