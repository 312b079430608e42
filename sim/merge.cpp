#include "sim/merge.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "sim/atomic_file.h"
#include "sim/sweep.h"
#include "sim/sweep_results.h"

namespace ivsim {

namespace {

// The results files in a folder: results.json and every slice's.
std::vector<std::string> results_files(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ConfigError({path, 0, 0}, "", "no such file or folder (a sweep's --out folder was expected)");
  if (!S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> files;
  if (DIR* d = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n == "results.json" ||
          (n.rfind("results.shard-", 0) == 0 && n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0))
        files.push_back(path + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw ConfigError({path, 0, 0}, "", "holds no results.json or results.shard-*.json");
  return files;
}

}  // namespace

int merge_results(const std::vector<std::string>& inputs, const std::string& out_dir) {
  ResultsTable merged;
  bool first = true;
  std::string first_file;
  std::map<std::size_t, PointResult> points;
  for (const auto& in : inputs) {
    for (const auto& file : results_files(in)) {
      const ResultsTable t = read_results(file);
      if (first) {
        merged.spec = t.spec;
        merged.points_total = t.points_total;
        first_file = file;
        first = false;
      } else if (t.spec.to_json() != merged.spec.to_json()) {
        throw ConfigError({file, 0, 0}, "sweep",
                          "a slice of another sweep than " + first_file + " (scenario, --set or --vary differ)");
      }
      for (const auto& p : t.points) {
        const auto [it, added] = points.emplace(p.index, p);
        if (added) continue;
        // The same point twice (a slice re-run, or the whole table beside
        // its slices): the runs are deterministic, so they must agree.
        const Json a = point_to_json(merged.spec, it->second), b = point_to_json(merged.spec, p);
        if (a != b)
          throw ConfigError({file, 0, 0}, "points",
                            "point " + std::to_string(p.index) + " differs from the same point in another slice");
      }
    }
  }
  for (auto& [i, p] : points) merged.points.push_back(p);

  if (::mkdir(out_dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw ConfigError({"--out", 0, 0}, "", "cannot create " + out_dir + ": " + std::strerror(errno));
  const std::string stem = out_dir + "/results";
  check_output_file(stem + ".json", {"--out", 0, 0});
  write_file_atomic(out_dir + "/sweep.json", merged.spec.to_json().dump(2) + "\n");
  write_file_atomic(stem + ".json", results_json(merged).dump(2) + "\n");
  write_file_atomic(stem + ".csv", results_csv(merged));

  std::size_t failed = 0, missing = 0;
  for (const auto& p : merged.points)
    if (!p.ok) ++failed;
  for (std::size_t i = 0; i < merged.points_total; ++i)
    if (!points.count(i)) {
      if (++missing <= 20) std::fprintf(stderr, "ivsim merge: point %zu is in no slice (not run yet?)\n", i);
    }
  std::printf("merge: %zu of %zu points (%zu failed, %zu missing)\nresults: %s.csv\n", merged.points.size(),
              merged.points_total, failed, missing, stem.c_str());
  return failed || missing ? kExitPointsFailed : 0;
}

}  // namespace ivsim
