#include "platforms/board.h"

#include <dirent.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <yaml-cpp/yaml.h>

#include "platforms/board_xml.h"
#include "platforms/config_error.h"
#include "platforms/data_dir.h"
#include "platforms/input_file.h"
#include "platforms/xml_document.h"

namespace ivsim {

std::vector<std::string> board_names() { return shipped_yaml_names("boards"); }

unsigned frequency_from_description(const std::string& d) {
  // Intel's brand strings end in "@ 1.80GHz" (or MHz) when they name the
  // nominal frequency; hybrid parts' do not.
  const auto at = d.rfind('@');
  if (at == std::string::npos) return 0;
  char* end = nullptr;
  const double v = std::strtod(d.c_str() + at + 1, &end);
  std::string unit(end);
  unit.erase(0, unit.find_first_not_of(' '));
  if (!(v > 0)) return 0;
  if (unit.rfind("GHz", 0) == 0) return static_cast<unsigned>(std::lround(v * 1000));
  if (unit.rfind("MHz", 0) == 0) return static_cast<unsigned>(std::lround(v));
  return 0;
}

namespace {
Board parse_board(const std::string& path, const std::string& bytes);
}  // namespace

Board load_board(const std::string& name, const SourceLocation& where) {
  if (is_xml_path(name)) return load_board_xml(name, where);
  const auto names = board_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where, "board", "unknown board \"" + name + "\"; shipped boards: " + list);
  }
  const std::string path = data_dir() + "/boards/" + name + ".yaml";
  const std::string bytes = read_input_file(path, "board", SourceLocation{path, 0, 0});
  return parsed_once(path, bytes, [&] { return parse_board(path, bytes); });
}

namespace {

Board parse_board(const std::string& path, const std::string& bytes) {
  try {
    const YAML::Node n = YAML::Load(bytes);
    Board b;
    b.name = n["name"].as<std::string>();
    b.cpu_model = n["cpu_model"].as<std::string>();
    b.family_id = n["family_id"].as<unsigned>();
    b.model_id = n["model_id"].as<unsigned>();
    b.physical_address_bits = n["physical_address_bits"].as<unsigned>();
    b.ram_mib = n["ram_mib"].as<u64>();
    b.timing_profile = n["timing_profile"].as<std::string>();
    b.frequency_mhz = frequency_from_description(b.cpu_model);
    if (b.frequency_mhz) b.frequency_source = "model description \"" + b.cpu_model + "\"";
    for (const auto& p : n["pcpus"]) {
      PhysicalCpu c;
      c.id = p["id"].as<unsigned>();
      c.die = p["die"].as<unsigned>();
      c.core = p["core"].as<unsigned>();
      c.thread = p["thread"].as<unsigned>();
      // A shipped board's thread id is its APIC ID, as the board inspector writes it.
      c.apic_id = p["apic_id"] ? p["apic_id"].as<u32>() : c.thread;
      if (p["core_type"]) c.core_type = p["core_type"].as<std::string>();
      b.pcpus.push_back(c);
    }
    std::map<unsigned, unsigned> per_level;  // caches seen so far by level: the default id
    for (const auto& n_cache : n["caches"]) {
      CacheInfo c;
      c.level = n_cache["level"].as<unsigned>();
      c.type = n_cache["type"].as<unsigned>();
      c.size_bytes = n_cache["size_bytes"].as<u64>();
      c.ways = n_cache["ways"].as<unsigned>();
      c.line_bytes = n_cache["line_bytes"].as<unsigned>();
      c.inclusive = n_cache["inclusive"] && n_cache["inclusive"].as<unsigned>() != 0;
      c.pcpus = n_cache["pcpus"].as<std::vector<unsigned>>();
      c.id = n_cache["id"] ? n_cache["id"].as<unsigned>() : per_level[c.level];
      ++per_level[c.level];
      if (const YAML::Node cat = n_cache["cat"]) {
        // As the board file's <capability id="CAT">: CPUID leaf 0x10's figures.
        c.cat.capacity_mask_length = cat["capacity_mask_length"].as<unsigned>();
        c.cat.clos_number = cat["clos_number"].as<unsigned>();
        c.cat.cdp = cat["cdp"] && cat["cdp"].as<bool>();
        if (c.level < 2 || c.cat.capacity_mask_length < 1 || c.cat.capacity_mask_length > 32 || c.cat.clos_number < 1 ||
            c.cat.clos_number > 128)
          throw ConfigError(SourceLocation{path, cat.Mark().line + 1, cat.Mark().column + 1}, "caches.cat",
                            "cache allocation needs a level-2 or level-3 cache, capacity_mask_length 1-32 and "
                            "clos_number 1-128");
      }
      b.caches.push_back(c);
    }
    return b;
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{path, e.mark.line + 1, e.mark.column + 1}, "", e.what());
  }
}

}  // namespace

}  // namespace ivsim
