// Every `build/sim/ivsim ...` command the README, docs/ and the teaching
// labs in docs/labs/ show in a shell block runs as shown, from the source
// tree, and ends with status 0, or the status a `# exit status N` comment on
// its line gives. Synopses (with [options] or placeholders), commands that
// need ACRN's fetched samples and full calibrations
// (tests/scenario/test_calibration.cpp runs those) are skipped; files the
// commands write go to a temporary folder.
#include <dirent.h>

#include <regex>
#include <set>
#include <vector>

#include "cli.h"

namespace {

const std::string kSource = std::string(IVSIM_TESTS_DIR) + "/..";

struct Documented {
  std::string file, command;
  int status = 0;
};

// The Markdown files of one folder (not its subfolders).
void markdown_in(const std::string& folder, std::vector<std::string>& files) {
  if (DIR* d = opendir(folder.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 3 && n.compare(n.size() - 3, 3, ".md") == 0) files.push_back(folder + "/" + n);
    }
    closedir(d);
  }
}

std::vector<std::string> doc_files() {
  std::vector<std::string> files = {kSource + "/README.md"};
  markdown_in(kSource + "/docs", files);
  markdown_in(kSource + "/docs/labs", files);  // the teaching labs
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Documented> documented_commands() {
  std::vector<Documented> out;
  const std::regex status_comment(R"(#\s*exit status (\d+))");
  for (const auto& file : doc_files()) {
    std::istringstream in(cli::slurp(file));
    bool in_sh = false;
    std::string pending;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("```", 0) == 0) {
        in_sh = !in_sh && line == "```sh";
        continue;
      }
      if (!in_sh) continue;
      if (!pending.empty()) line = pending + " " + line.substr(line.find_first_not_of(' '));
      if (!line.empty() && line.back() == '\\') {
        pending = line.substr(0, line.size() - 1);
        continue;
      }
      pending.clear();
      if (line.rfind("build/sim/ivsim ", 0) != 0) continue;
      Documented d{file, line, 0};
      std::smatch m;
      if (std::regex_search(line, m, status_comment)) d.status = std::stoi(m[1]);
      const auto hash = d.command.find(" #");
      if (hash != std::string::npos) d.command.erase(hash);
      out.push_back(d);
    }
  }
  return out;
}

bool skipped(const std::string& c) {
  // A placeholder ("[options]"), not an index ("workloads[0]").
  if (std::regex_search(c, std::regex("\\[[^0-9]"))) return true;
  for (const char* mark : {"...", "FILE", "B.xml", "S.xml", "BOARD", "acrn-data/", "--help"})
    if (c.find(mark) != std::string::npos) return true;
  // Whole calibrations take tens of seconds each: test_calibration.cpp runs them.
  return c.find(" calibrate") != std::string::npos && c.find("--c2c-matrix") == std::string::npos;
}

}  // namespace

TEST_CASE("every ivsim command shown in the README and docs runs as documented") {
  const std::string tmp = cli::temp_path("doc-commands");
  REQUIRE(std::system(("mkdir -p " + tmp + "/out " + tmp + "/img").c_str()) == 0);
  std::size_t ran = 0, labs = 0;
  std::set<std::string> done;
  for (const auto& d : documented_commands()) {
    if (skipped(d.command) || !done.insert(d.command).second) continue;
    std::string c = d.command.substr(std::string("build/sim/ivsim ").size());
    // Output files into the temporary folder.
    for (const char* f : {"out.json", "c2c.json"}) {
      const auto pos = c.find(f);
      if (pos != std::string::npos) c.replace(pos, std::string(f).size(), tmp + "/" + f);
    }
    // Folders a command writes into (sweeps, plots, traces), and the docs'
    // own figures: into the temporary folder too, never the source tree.
    c = std::regex_replace(c, std::regex("(^| )out/"), "$1" + tmp + "/out/");
    c = std::regex_replace(c, std::regex("(^| )docs/img/"), "$1" + tmp + "/img/");
    if (c.rfind("run", 0) == 0 && c.find("--report") == std::string::npos)
      c.insert(3, " --report " + tmp + "/report.json");
    INFO(d.file << ": " << d.command);
    const cli::Result r = cli::run("cd " + kSource + " && " + IVSIM_BINARY + " " + c + " >/dev/null");
    INFO(r.out);
    CHECK(r.status == d.status);
    ++ran;
    if (d.file.find("/docs/labs/") != std::string::npos) ++labs;
  }
  CHECK(ran >= 20);
  // The labs' commands run too: none is taken for a placeholder.
  CHECK(labs >= 12);
  REQUIRE(std::system(("rm -rf " + tmp).c_str()) == 0);
}
