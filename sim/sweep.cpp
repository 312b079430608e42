#include "sim/sweep.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/atomic_file.h"
#include "sim/sweep_results.h"

namespace ivsim {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_sweep_signal(int sig) { g_stop = sig; }

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void make_dirs(const std::string& path, const SourceLocation& where) {
  std::string sofar;
  std::size_t from = 0;
  for (;;) {
    const auto slash = path.find('/', from);
    sofar = path.substr(0, slash);
    if (!sofar.empty() && !is_dir(sofar) && ::mkdir(sofar.c_str(), 0777) != 0 && errno != EEXIST)
      throw ConfigError(where, "", "cannot create " + sofar + ": " + std::strerror(errno));
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  if (::access(path.c_str(), W_OK) != 0) throw ConfigError(where, "", path + " is not writable");
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find the ivsim binary (/proc/self/exe)");
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string describe(const SweepSpec& spec, std::size_t index) {
  const auto v = spec.values(index);
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + spec.vary[i].key + "=" + v[i];
  return s;
}

// Starts `ivsim run` for one point, its output into `log`.
pid_t start_point(const std::string& exe, const SweepSpec& spec, std::size_t index, const std::string& report,
                  const std::string& log) {
  std::vector<std::string> args = {exe, "run"};
  args.insert(args.end(), spec.run_args.begin(), spec.run_args.end());
  const auto values = spec.values(index);
  for (std::size_t i = 0; i < values.size(); ++i) {
    args.push_back("--set");
    args.push_back(spec.vary[i].key + "=" + values[i]);
  }
  for (const char* a : {"--quiet", "--report"}) args.push_back(a);
  args.push_back(report);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Built before the fork: the child only calls what is async-signal-safe.
  std::vector<std::string> env = sweep_point_environment(environ);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// The progress bar (a terminal) or line (a log): points done, failures, ETA.
class SweepProgress {
 public:
  SweepProgress(bool terminal, bool log, std::size_t total)
      : terminal_(terminal), log_(log), total_(total), start_(std::chrono::steady_clock::now()) {}
  void update(std::size_t done, std::size_t failed, std::size_t ran_now, std::size_t running) {
    if (!terminal_ && !log_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string eta = "ETA -";
    if (ran_now > 0)
      eta = fmt::format("ETA {:.0f} s", elapsed / static_cast<double>(ran_now) * static_cast<double>(total_ - done));
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total_ ? kWidth * done / total_ : kWidth;
    const std::string line =
        fmt::format("ivsim sweep [{}{}] {}/{} points | {} failed | {} running | {}", std::string(filled, '#'),
                    std::string(kWidth - filled, '.'), done, total_, failed, running, eta);
    if (terminal_)
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (terminal_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool terminal_, log_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::vector<std::string> sweep_point_environment(char** parent) {
  std::vector<std::string> env;
  bool tunables = false;
  for (char** e = parent; e && *e; ++e) {
    env.emplace_back(*e);
    tunables = tunables || env.back().rfind("GLIBC_TUNABLES=", 0) == 0;
  }
  if (!tunables) env.emplace_back("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
  return env;
}

std::string failure_message(const std::string& log) {
  std::istringstream in(log);
  std::string last, error;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last = line;
    if (error.empty() && (line.find("error:") != std::string::npos || line.rfind("ivsim: ", 0) == 0)) error = line;
  }
  return error.empty() ? last : error;
}

int run_sweep(const SweepOptions& o) {
  const SourceLocation out_at{"--out", 0, 0};
  const SweepSpec& spec = o.spec;
  make_dirs(o.out_dir + "/points", out_at);

  // The folder holds one sweep: a re-run must ask for the same one.
  const std::string manifest = o.out_dir + "/sweep.json";
  const Json def = spec.to_json();
  if (::access(manifest.c_str(), F_OK) == 0) {
    Json old;
    try {
      old = Json::parse(slurp(manifest));
    } catch (const Json::exception&) {
    }
    if (old != def)
      throw ConfigError(out_at, "",
                        o.out_dir +
                            " holds a different sweep (its sweep.json); give another --out, or the same "
                            "scenario, --set and --vary as before");
  } else {
    write_file_atomic(manifest, def.dump(2) + "\n");
  }

  const std::size_t total = spec.points();
  const int width = static_cast<int>(std::to_string(total - 1).size());
  auto base = [&](std::size_t i) { return fmt::format("{}/points/{:0{}}", o.out_dir, i, width); };

  // What is already done: records of earlier runs.
  std::map<std::size_t, PointResult> results;
  std::vector<std::size_t> todo;
  std::size_t mine = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (!o.shard.has(i)) continue;
    ++mine;
    const std::string rec = base(i) + ".json";
    if (::access(rec.c_str(), F_OK) == 0) {
      try {
        const PointResult p = point_from_json(spec, Json::parse(slurp(rec)), {rec, 0, 0});
        if (p.ok || !o.retry_failed) {
          results[i] = p;
          continue;
        }
      } catch (const std::exception&) {
        // A record that does not read is run again.
      }
    }
    todo.push_back(i);
  }

  unsigned jobs = o.jobs;
  if (jobs == 0) {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    jobs = n > 0 ? static_cast<unsigned>(n) : 1;
  }

  // Ctrl-C reaches the children too (same process group); SIGTERM is passed on.
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_sweep_signal;
  sigemptyset(&sa.sa_mask);
  g_stop = 0;
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  const std::string exe = o.program.empty() ? self_exe() : o.program;
  SweepProgress progress(!o.quiet && ::isatty(STDERR_FILENO), !o.quiet && o.progress_log, mine);
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, ran = 0, failed = 0;
  for (const auto& [i, p] : results) failed += !p.ok;
  bool interrupted = false, forwarded = false;
  progress.update(results.size(), failed, 0, 0);
  while (next < todo.size() || !running.empty()) {
    while (!g_stop && next < todo.size() && running.size() < jobs) {
      const std::size_t i = todo[next++];
      ::unlink((base(i) + ".json").c_str());
      running[start_point(exe, spec, i, base(i) + ".report.json", base(i) + ".log")] = i;
    }
    if (g_stop && !forwarded) {
      for (const auto& [pid, i] : running) ::kill(pid, SIGTERM);
      forwarded = true;
    }
    if (running.empty()) break;
    int st = 0;
    const pid_t pid = ::waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const std::size_t i = it->second;
    running.erase(it);
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (code == 130 || code == 128 + SIGINT || code == 128 + SIGTERM || g_stop) {
      interrupted = true;  // not a result: run again next time
      continue;
    }
    PointResult p;
    p.index = i;
    p.values = spec.values(i);
    p.exit_status = code;
    p.ok = code == 0;
    if (p.ok) {
      try {
        p.metrics = headline_metrics(Json::parse(slurp(base(i) + ".report.json")));
      } catch (const std::exception& e) {
        p.ok = false;
        p.exit_status = 1;
        p.message = std::string("its report does not read: ") + e.what();
      }
    } else {
      p.message = code == 127 ? "could not start " + exe : failure_message(slurp(base(i) + ".log"));
    }
    write_file_atomic(base(i) + ".json", point_to_json(spec, p).dump(2) + "\n");
    failed += !p.ok;
    ++ran;
    results[i] = std::move(p);
    progress.update(results.size(), failed, ran, running.size());
  }
  progress.clear();
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);

  ResultsTable table;
  table.spec = spec;
  table.points_total = total;
  if (o.shard.sharded()) table.shard = o.shard.name();
  for (auto& [i, p] : results) table.points.push_back(p);
  const std::string stem = o.out_dir + "/results" + (o.shard.sharded() ? ".shard-" + o.shard.name() : "");
  write_file_atomic(stem + ".json", results_json(table).dump(2) + "\n");
  write_file_atomic(stem + ".csv", results_csv(table));

  if (!o.quiet) {
    for (const auto& p : table.points)
      if (!p.ok)
        std::fprintf(stderr, "ivsim sweep: point %zu (%s) failed with exit status %d: %s\n", p.index,
                     describe(spec, p.index).c_str(), p.exit_status, p.message.c_str());
    std::printf("sweep: %zu of %zu points%s: %zu ok, %zu failed (%zu run now, %zu done before)%s\nresults: %s.csv\n",
                table.points.size(), mine, o.shard.sharded() ? (" in slice " + o.shard.name()).c_str() : "",
                table.points.size() - failed, failed, ran, table.points.size() - ran,
                interrupted ? "; interrupted, run it again to finish" : "", stem.c_str());
    std::fflush(stdout);
  }
  if (interrupted) return 130;
  return failed ? kExitPointsFailed : 0;
}

}  // namespace ivsim
