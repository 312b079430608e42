#include "platforms/cpu_models.h"

#include <map>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "platforms/config_error.h"
#include "platforms/data_dir.h"

namespace ivsim {

namespace {

std::vector<CpuModel> load() {
  const std::string path = data_dir() + "/cpu-models.yaml";
  std::vector<CpuModel> rows;
  std::map<std::pair<unsigned, unsigned>, std::string> seen;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    for (const auto& n : root["models"]) {
      CpuModel m;
      m.family = n["family"].as<unsigned>();
      m.model = n["model"].as<unsigned>();
      m.name = n["name"].as<std::string>();
      m.uarch = n["uarch"].as<std::string>();
      m.profile = n["profile"].as<std::string>();
      if (n["threads"]) m.threads = n["threads"].as<std::string>();
      m.source = n["source"].as<std::string>();
      if (n["split_lock_detect"]) m.split_lock_detect = n["split_lock_detect"].as<bool>();
      const auto [it, fresh] = seen.emplace(std::make_pair(m.family, m.model), m.name);
      if (!fresh)
        throw ConfigError(SourceLocation{path, n.Mark().line + 1, n.Mark().column + 1}, "models",
                          "family " + std::to_string(m.family) + " model " + std::to_string(m.model) +
                              " is mapped twice (" + it->second + ", " + m.name + ")");
      rows.push_back(m);
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{path, e.mark.line + 1, e.mark.column + 1}, "models", e.msg);
  }
  return rows;
}

}  // namespace

const std::vector<CpuModel>& cpu_models() {
  static const std::vector<CpuModel> rows = load();
  return rows;
}

const CpuModel* find_cpu_model(unsigned family, unsigned model) {
  for (const auto& m : cpu_models())
    if (m.family == family && m.model == model) return &m;
  return nullptr;
}

std::string timing_profile_for_cpu(unsigned family, unsigned model) {
  const CpuModel* m = find_cpu_model(family, model);
  return m ? m->profile : "";
}

}  // namespace ivsim
