// The ivsim command line: run a scenario, validate scenario and board files,
// or show the platform a scenario resolves to. Scenarios come as YAML, or as
// ACRN's scenario XML with its board file, as the configurator saves them.
//
// Exit status: 0 success; 2 bad usage or a scenario error (ConfigError, printed
// as file:line:col, nothing written); 3 a calibration row that does not pass;
// 4 a run whose workloads stalled; 130 a run interrupted by SIGINT/SIGTERM;
// 1 anything else (an internal error, or a guest program that failed).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <systemc>
#include <tuple>
#include <vector>

#include "platforms/board.h"
#include "platforms/config_error.h"
#include "platforms/xml_document.h"
#include "sim/asan_options.h"
#include "sim/atomic_file.h"
#include "sim/c2c_matrix.h"
#include "sim/calibrate.h"
#include "sim/compare.h"
#include "sim/merge.h"
#include "sim/plot.h"
#include "sim/run.h"
#include "sim/scenario_input.h"
#include "sim/show.h"
#include "sim/sweep.h"
#include "sim/systemc_reports.h"

#ifndef IVSIM_VERSION
#define IVSIM_VERSION "unknown"
#endif

namespace {

// --strict (or IVSIM_STRICT=1): a SystemC warning fails the command (exit 1,
// an internal failure), as it fails the model tests; CI runs strict.
bool g_strict = false;

const std::map<std::string, spdlog::level::level_enum> kLogLevels = {
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off},
};

// The scenario inputs run, validate and show share.
struct ScenarioArgs {
  std::string positional;  // a YAML scenario (or an ACRN scenario XML)
  ivsim::ScenarioInput input;
};

void add_scenario_options(CLI::App* cmd, ScenarioArgs& a, bool positional) {
  if (positional)
    cmd->add_option("SCENARIO", a.positional,
                    "Scenario YAML file (default: the shipped default scenario); an ACRN scenario XML needs --board");
  cmd->add_option("--board", a.input.board, "ACRN board file (BOARD.xml) or shipped board name, for an ACRN scenario");
  if (positional)
    cmd->add_option("--scenario", a.input.scenario_xml, "ACRN scenario file (SCENARIO.xml), with --board");
  cmd->add_option("--launch", a.input.launch_xml,
                  "ACRN 2.x launch file (LAUNCH.xml) merged into its 2.x scenario file: post-launched VMs' memory, "
                  "pCPUs, RT type, dm-land regions");
  cmd->add_option("--workloads", a.input.workloads,
                  "YAML file with workloads: (and run:, timing:) put over the scenario's");
  cmd->add_option("--set", a.input.sets, "Override a scenario field before validation: key.path=value (repeatable)")
      ->allow_extra_args(false);
}

// Which scenario the options name; a usage error is a ConfigError at the option.
ivsim::ScenarioInput resolve(const ScenarioArgs& a) {
  ivsim::ScenarioInput in = a.input;
  const bool xml = ivsim::is_xml_path(a.positional);
  if (!a.positional.empty() && !in.scenario_xml.empty())
    throw ivsim::ConfigError({"--scenario", 0, 0}, "", "give the scenario once: SCENARIO or --scenario, not both");
  if (xml)
    in.scenario_xml = a.positional;
  else
    in.yaml = a.positional;
  if (!in.yaml.empty() && !in.board.empty())
    throw ivsim::ConfigError({"--board", 0, 0}, "",
                             "--board goes with an ACRN scenario XML; a YAML scenario names its board (change it "
                             "with --set board=NAME_OR_BOARD.xml)");
  if (!in.scenario_xml.empty() && in.board.empty())
    throw ivsim::ConfigError({"--board", 0, 0}, "",
                             "an ACRN scenario XML needs its board: --board BOARD.xml (or a shipped board name)");
  if (in.scenario_xml.empty() && in.yaml.empty() && !in.board.empty())
    throw ivsim::ConfigError({"--board", 0, 0}, "", "--board needs an ACRN scenario: --scenario SCENARIO.xml");
  if (in.scenario_xml.empty() && !in.launch_xml.empty())
    throw ivsim::ConfigError({"--launch", 0, 0}, "",
                             "--launch goes with the ACRN 2.x scenario file it was made for: --scenario SCENARIO.xml");
  return in;
}

void add_log_level(CLI::App* cmd, std::string& level) {
  cmd->add_option("--log-level", level, "Log verbosity: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
}

int cli(int argc, char** argv) {
  CLI::App app{"ivsim: a SystemC/TLM digital twin of ACRN's inter-VM shared memory (IVSHMEM)"};
  app.set_version_flag("--version", std::string("ivsim ") + IVSIM_VERSION);
  app.require_subcommand(1);

  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log verbosity: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_flag("--strict", g_strict, "Fail (exit 1) on any SystemC warning; also IVSIM_STRICT=1 in the environment");

  // run
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario and write its report");
  ScenarioArgs run_args;
  ivsim::RunOptions options;
  std::string seed;
  add_scenario_options(run, run_args, true);
  run->add_option("--report", options.report_path, "Where to write the JSON report")->capture_default_str();
  CLI::Option* seed_opt = run->add_option("--seed", seed, "Random seed; same as --set run.seed=N");
  run->add_flag("--quiet", options.quiet, "Do not print the summary table or the progress line");
  run->add_flag("--histogram", options.histograms, "Draw each latency metric's histogram under its row of the summary");
  bool force_progress = false;
  run->add_flag("--progress", force_progress,
                "Print the progress line even when stderr is not a terminal (a line every few seconds, for CI logs)");
  run->add_option("--trace", options.trace_path,
                  "Write the run's timeline as Chrome trace-event JSON (open it in the Perfetto UI)");
  std::string trace_window;
  run->add_option("--trace-window", trace_window,
                  "Keep only this part of the timeline in --trace/--vcd: T0:T1 with units, e.g. 1ms:1.2ms");
  run->add_option("--vcd", options.vcd_path, "Write the vCPUs' interrupt lines as a VCD file (for GTKWave)");
  // The log level and --strict are accepted after the subcommand too ("ivsim run --log-level debug").
  add_log_level(run, log_level);
  run->add_flag("--strict", g_strict, "Fail (exit 1) on any SystemC warning");

  // validate
  CLI::App* validate = app.add_subcommand(
      "validate", "Check scenario files (YAML, ACRN scenario XML with --board) and ACRN board files without running");
  std::vector<std::string> files;
  ScenarioArgs validate_args;
  validate->add_option("FILE", files, "Scenario YAML, ACRN scenario XML or ACRN board XML files")->required();
  add_scenario_options(validate, validate_args, false);
  add_log_level(validate, log_level);

  // show
  CLI::App* show = app.add_subcommand(
      "show", "Print the resolved platform: VMs, vCPU->pCPU, IVSHMEM devices with BDF and BARs, regions, workloads");
  ScenarioArgs show_args;
  bool json = false;
  add_scenario_options(show, show_args, true);
  show->add_flag("--json", json, "Print JSON instead of tables");
  add_log_level(show, log_level);

  // calibrate
  CLI::App* calibrate =
      app.add_subcommand("calibrate", "Run the in-twin measurement tools and check them against the published figures");
  std::string calibrate_profile, calibrate_json;
  calibrate->add_option("--profile", calibrate_profile, "Timing profile (default: every calibrated profile)");
  calibrate->add_option("--json", calibrate_json, "Also write the results as JSON to this file");
  std::string matrix_board;
  calibrate->add_option("--c2c-matrix", matrix_board,
                        "Instead, print the core-to-core latency of every pCPU pair of this board (name or XML)");

  // sweep
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Run a scenario over the cartesian product of --vary values, one ivsim run process per point");
  ScenarioArgs sweep_args;
  add_scenario_options(sweep, sweep_args, true);
  std::string sweep_seed, sweep_shard;
  std::vector<std::string> varies;
  ivsim::SweepOptions sweep_opts;
  sweep->add_option("--seed", sweep_seed, "Random seed of every point; same as --set run.seed=N");
  sweep->add_option("--vary", varies, "A field and its values: key.path=v1,v2,... (repeatable: the product)")
      ->required()
      ->allow_extra_args(false);
  sweep->add_option("--out", sweep_opts.out_dir, "Folder for the points' reports and results.csv/.json")->required();
  sweep->add_option("--jobs,-j", sweep_opts.jobs, "Points run at once (default: one per core)");
  sweep->add_option("--shard", sweep_shard,
                    "Run only slice I of N (0 <= I < N): the points whose index % N == I; default: the Slurm job "
                    "array's task, when run in one");
  sweep->add_flag("--retry-failed", sweep_opts.retry_failed, "Run again the points recorded as failed");
  sweep->add_flag("--progress", sweep_opts.progress_log,
                  "A progress line per finished point even when stderr is not a terminal (for CI logs)");
  sweep->add_flag("--quiet", sweep_opts.quiet, "No progress and no summary");
  add_log_level(sweep, log_level);

  // merge
  CLI::App* merge = app.add_subcommand("merge", "Join the slices of a sharded sweep into one results table");
  std::vector<std::string> merge_inputs;
  std::string merge_out;
  merge->add_option("DIR", merge_inputs, "Sweep folders (or their results*.json files)")->required();
  merge->add_option("--out", merge_out, "Folder for the merged results.csv/.json")->required();

  // plot
  CLI::App* plot = app.add_subcommand(
      "plot", "Draw a sweep's metric against a varied field, or a run's latency histogram (PNG or SVG)");
  ivsim::PlotOptions plot_opts;
  plot->add_option("RESULTS", plot_opts.input, "A sweep's results.json (or folder), or a run's report with --histogram")
      ->required();
  plot->add_option("--x", plot_opts.x, "The varied key on the x axis (its last part is enough: message_bytes)");
  plot->add_option("--y", plot_opts.y, "The metric on the y axis (e.g. round_trip.p99)");
  plot->add_option("--group", plot_opts.group, "A varied key whose values make separate lines (repeatable)");
  plot->add_option("--where", plot_opts.where, "Only the points with key=value (repeatable)");
  plot->add_flag("--error-bars", plot_opts.error_bars, "Bars from the metric's p50 to its p99");
  plot->add_option("--histogram", plot_opts.histogram, "Instead, the report's histogram of WORKLOAD.METRIC");
  plot->add_option("--title", plot_opts.title, "The figure's title");
  plot->add_option("--out", plot_opts.out, "FILE.png or FILE.svg")->required();

  // compare
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare a candidate report or sweep with a baseline; exit 5 when a metric regressed");
  ivsim::CompareOptions compare_opts;
  // A side is one report or sweep (positional, as always) or several runs of
  // one scenario with different seeds: a folder of reports, or the files
  // after --baseline/--candidate (repeatable; a shell glob works).
  std::string compare_baseline, compare_candidate;
  compare->add_option("BASELINE", compare_baseline,
                      "Baseline report, sweep results, or a folder of reports (one scenario, different seeds)");
  compare->add_option("CANDIDATE", compare_candidate,
                      "Candidate report, sweep results, or a folder of reports (one scenario, different seeds)");
  compare->add_option("--baseline", compare_opts.baseline,
                      "Baseline reports of one scenario with different seeds (instead of BASELINE)");
  compare->add_option("--candidate", compare_opts.candidate,
                      "Candidate reports of one scenario with different seeds (instead of CANDIDATE)");
  compare->add_option("--tolerance", compare_opts.tolerance,
                      "Growth allowed per statistic: p99=5%,max=20%,mean=10ns (a statistic not named may not grow)");
  compare
      ->add_option("--metrics", compare_opts.metrics,
                   "Statistics or metrics to compare (default: p50,p90,p99,p999,max,mean)")
      ->delimiter(',');
  compare->add_flag("--json", compare_opts.json, "Print the comparison as JSON");
  compare->add_option(
      "--junit", compare_opts.junit,
      "Also write FILE.xml for a CI server: a JUnit testcase per compared metric, failed on regression");

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
        const std::string what = ivsim::validate_input_file(f, validate_args.input);
        std::cout << f << ": ok (" << what << ")\n";
      } catch (const ivsim::ConfigError& e) {
        std::cerr << e.what() << "\n";
        status = 2;
      }
    }
    return status;
  }

  if (*calibrate && !matrix_board.empty()) {
    const ivsim::C2cMatrix m =
        ivsim::measure_c2c_matrix(ivsim::load_board(matrix_board, ivsim::SourceLocation{"--c2c-matrix", 0, 0}));
    if (!calibrate_json.empty()) ivsim::write_file_atomic(calibrate_json, ivsim::c2c_matrix_json(m).dump(2) + "\n");
    std::cout << ivsim::c2c_matrix_text(m);
    return 0;
  }
  if (*calibrate) {
    if (!calibrate_json.empty()) ivsim::check_output_file(calibrate_json, ivsim::SourceLocation{"--json", 0, 0});
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

  if (*sweep) {
    ivsim::ScenarioInput input = resolve(sweep_args);
    if (!sweep_seed.empty()) input.seed = sweep_seed;
    ivsim::load_scenario(input);  // a bad base scenario fails every point: refuse it now
    std::vector<std::string>& a = sweep_opts.spec.run_args;
    if (!sweep_args.positional.empty()) a.push_back(sweep_args.positional);
    for (const auto& [opt, value] : {std::pair<const char*, const std::string&>{"--board", sweep_args.input.board},
                                     {"--scenario", sweep_args.input.scenario_xml},
                                     {"--launch", sweep_args.input.launch_xml},
                                     {"--workloads", sweep_args.input.workloads},
                                     {"--seed", sweep_seed}})
      if (!value.empty()) a.insert(a.end(), {opt, value});
    for (const auto& s : sweep_args.input.sets) a.insert(a.end(), {"--set", s});
    for (const auto& v : varies) sweep_opts.spec.vary.push_back(ivsim::parse_vary(v));
    sweep_opts.shard = sweep_shard.empty() ? ivsim::shard_from_environment() : ivsim::parse_shard(sweep_shard);
    return ivsim::run_sweep(sweep_opts);
  }
  if (*merge) return ivsim::merge_results(merge_inputs, merge_out);
  if (*plot) {
    ivsim::plot(plot_opts);
    std::cout << "plot: " << plot_opts.out << "\n";
    return 0;
  }
  if (*compare) {
    for (auto [side, positional, name, option] :
         {std::tuple{&compare_opts.baseline, &compare_baseline, "baseline", "--baseline"},
          std::tuple{&compare_opts.candidate, &compare_candidate, "candidate", "--candidate"}}) {
      const std::string upper = name == std::string("baseline") ? "BASELINE" : "CANDIDATE";
      if (!positional->empty() && !side->empty())
        throw ivsim::ConfigError({option, 0, 0}, "",
                                 std::string("give the ") + name + " once: " + upper + " or " + option + ", not both");
      if (!positional->empty()) side->push_back(*positional);
      if (side->empty())
        throw ivsim::ConfigError({option, 0, 0}, "",
                                 std::string("no ") + name + ": give " + upper + " or " + option + " FILE...");
    }
    return ivsim::compare(compare_opts);
  }

  if (*show) {
    const ivsim::Scenario scenario = ivsim::load_scenario(resolve(show_args));
    const auto sim = ivsim::elaborate(scenario);
    std::cout << (json ? ivsim::show_json(*sim).dump(2) + "\n" : ivsim::show_text(*sim));
    return 0;
  }

  // The progress line: on a terminal by default, in a log when asked, never with --quiet.
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (options.quiet)
    options.progress = ivsim::ProgressLine::Mode::off;
  else if (tty)
    options.progress = ivsim::ProgressLine::Mode::terminal;
  else if (force_progress)
    options.progress = ivsim::ProgressLine::Mode::log;
  ivsim::ScenarioInput input = resolve(run_args);
  if (seed_opt->count() > 0) input.seed = seed;
  const ivsim::Scenario scenario = ivsim::load_scenario(input);
  // Before simulating: a report that cannot be written is bad input too.
  if (!options.report_path.empty())
    ivsim::check_output_file(options.report_path, ivsim::SourceLocation{"--report", 0, 0});
  if (!options.trace_path.empty()) ivsim::check_output_file(options.trace_path, ivsim::SourceLocation{"--trace", 0, 0});
  if (!options.vcd_path.empty()) ivsim::check_output_file(options.vcd_path, ivsim::SourceLocation{"--vcd", 0, 0});
  if (!trace_window.empty()) {
    if (options.trace_path.empty() && options.vcd_path.empty())
      throw ivsim::ConfigError({"--trace-window", 0, 0}, "", "goes with --trace or --vcd");
    options.trace_window = ivsim::parse_trace_window(trace_window);
  }
  return ivsim::run_scenario(scenario, options);
}

}  // namespace

// libsystemc.so calls sc_main from sc_elab_and_sim; the CLI lives here so the
// kernel is initialised exactly as SystemC expects.
int sc_main(int argc, char** argv) {
  ivsim::count_systemc_reports();
  if (const char* env = std::getenv("IVSIM_STRICT"); env && std::string(env) == "1") g_strict = true;
  try {
    const int status = cli(argc, argv);
    if (g_strict && ivsim::systemc_warnings() > 0) {
      std::cerr << "ivsim: --strict: " << ivsim::systemc_warnings()
                << " SystemC warning(s), the first: " << ivsim::first_systemc_warning() << "\n";
      return status == 0 ? 1 : status;
    }
    return status;
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
