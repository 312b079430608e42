// `ivsim sweep` on all cores against the same points one after another:
// 32 points of the default scenario (each ~0.5 s of simulation), run with
// --jobs 1 and then --jobs N (default 2) in the same process, and the
// ratio of their wall times. On a 2-core machine the target is 1.8x or more.
//
//   ivsim_sweep_bench [JOBS] [ITERATIONS]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#ifndef IVSIM_BINARY
#error "IVSIM_BINARY: the ivsim binary to sweep with"
#endif

namespace {

double sweep_seconds(const std::string& dir, unsigned jobs, long iterations) {
  std::string seeds;
  for (int i = 1; i <= 32; ++i) seeds += (i > 1 ? "," : "") + std::to_string(i);
  const std::string cmd = "rm -rf " + dir + " && " + IVSIM_BINARY +
                          " sweep --quiet --set workloads[0].params.iterations=" + std::to_string(iterations) +
                          " --vary run.seed=" + seeds + " --jobs " + std::to_string(jobs) + " --out " + dir;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(cmd.c_str());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) {
    std::fprintf(stderr, "sweep failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned jobs = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
  const long iterations = argc > 2 ? std::atol(argv[2]) : 150000;
  const std::string dir = "/tmp/ivsim-sweep-bench-" + std::to_string(getpid());
  const double one = sweep_seconds(dir + "-1", 1, iterations);
  const double many = sweep_seconds(dir + "-n", jobs, iterations);
  std::system(("rm -rf " + dir + "-1 " + dir + "-n").c_str());
  const double ratio = one / many;
  std::printf(
      "sweep of 32 points (%ld iterations each): --jobs 1 %.2f s, --jobs %u %.2f s: %.2fx faster (%ld cores "
      "online; target on 2 cores: 1.8x)\n",
      iterations, one, jobs, many, ratio, sysconf(_SC_NPROCESSORS_ONLN));
  return 0;
}
