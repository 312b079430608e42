// The ivsim command line: run a scenario, or validate scenario files.
//
// Exit status: 0 success; 2 bad usage or a scenario error (ConfigError, printed
// as file:line:col, nothing written); 1 anything else (internal error).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <systemc>
#include <vector>

#include "platforms/config_error.h"
#include "platforms/data_dir.h"
#include "sim/atomic_file.h"
#include "sim/calibrate.h"
#include "sim/run.h"
#include "sim/scenario_loader.h"

#ifndef IVSIM_VERSION
#define IVSIM_VERSION "unknown"
#endif

namespace {

const std::map<std::string, spdlog::level::level_enum> kLogLevels = {
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off},
};

int cli(int argc, char** argv) {
  CLI::App app{"ivsim: a SystemC/TLM digital twin of ACRN's inter-VM shared memory (IVSHMEM)"};
  app.set_version_flag("--version", std::string("ivsim ") + IVSIM_VERSION);
  app.require_subcommand(1);

  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log verbosity: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  // run
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario and write its report");
  std::string scenario_path;
  std::vector<std::string> sets;
  ivsim::RunOptions options;
  std::uint64_t seed = 0;
  run->add_option("SCENARIO", scenario_path, "Scenario YAML file (default: the shipped default scenario)");
  run->add_option("--set", sets, "Override a scenario field before validation: key.path=value (repeatable)")
      ->allow_extra_args(false);
  run->add_option("--report", options.report_path, "Where to write the JSON report")->capture_default_str();
  CLI::Option* seed_opt = run->add_option("--seed", seed, "Random seed; same as --set run.seed=N");
  run->add_flag("--quiet", options.quiet, "Do not print the summary table");
  // The log level is accepted after the subcommand too ("ivsim run --log-level debug").
  run->add_option("--log-level", log_level, "Log verbosity: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  // validate
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files without simulating them");
  std::vector<std::string> files;
  std::vector<std::string> validate_sets;
  validate->add_option("FILE", files, "Scenario YAML files")->required();
  validate->add_option("--set", validate_sets, "Override a scenario field before validation (repeatable)")
      ->allow_extra_args(false);

  // calibrate
  CLI::App* calibrate =
      app.add_subcommand("calibrate", "Run the in-twin measurement tools and check them against the published figures");
  std::string calibrate_profile, calibrate_json;
  calibrate->add_option("--profile", calibrate_profile, "Timing profile (default: every calibrated profile)");
  calibrate->add_option("--json", calibrate_json, "Also write the results as JSON to this file");

  try {
    app.parse(argc, argv);

  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, version or the error
    return rc == 0 ? 0 : 2;
  }
  spdlog::set_level(kLogLevels.at(log_level));

  if (*validate) {
    int status = 0;
    for (const auto& f : files) {
      try {
        ivsim::load_scenario_file(f, validate_sets);
        std::cout << f << ": ok\n";
      } catch (const ivsim::ConfigError& e) {
        std::cerr << e.what() << "\n";
        status = 2;
      }
    }
    return status;
  }

  if (*calibrate) {
    const std::vector<std::string> profiles =
        calibrate_profile.empty() ? ivsim::calibrated_profiles() : std::vector<std::string>{calibrate_profile};
    ivsim::Json all = ivsim::Json::array();
    bool pass = true;
    for (const auto& p : profiles) {
      const ivsim::CalibrationReport rep = ivsim::calibrate(p);
      std::cout << ivsim::calibration_table(rep) << "\n";
      all.push_back(ivsim::calibration_json(rep));
      pass = pass && rep.all_pass();
    }
    if (!calibrate_json.empty()) ivsim::write_file_atomic(calibrate_json, all.dump(2) + "\n");
    return pass ? 0 : 3;  // 3: the twin does not reproduce a published figure
  }

  if (scenario_path.empty()) scenario_path = ivsim::default_scenario_path();

  if (seed_opt->count() > 0) sets.push_back("run.seed=" + std::to_string(seed));
  const ivsim::Scenario scenario = ivsim::load_scenario_file(scenario_path, sets);
  return ivsim::run_scenario(scenario, options);
}

}  // namespace

// libsystemc.so calls sc_main from sc_elab_and_sim; the CLI lives here so the
// kernel is initialised exactly as SystemC expects.
int sc_main(int argc, char** argv) {
  try {
    return cli(argc, argv);
  } catch (const ivsim::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ivsim: internal error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "ivsim: internal error: unknown exception\n";
    return 1;
  }
}

int main(int argc, char** argv) {
  // Before the kernel starts: SystemC prints its banner on initialisation.
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
