#include "sim/suggest.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace ivsim {

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
// so "nmae" is one edit from "name".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string quote(const std::string& s) {
  std::string q = "\"";
  const std::size_t limit = 60;
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\')
      q += '\\', q += c;
    else if (c == '\n')
      q += "\\n";
    else if (c == '\t')
      q += "\\t";
    else
      q += c;
  }
  if (s.size() > limit) q += "...";
  return q + "\"";
}

std::string join_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(lower(word), lower(c));
    if (d < best_d && d <= std::max<std::size_t>(1, c.size() / 3)) best = c, best_d = d;
  }
  return best;
}

std::string unknown(const std::string& what, const std::string& word, const std::vector<std::string>& known) {
  std::string msg = "unknown " + what + " " + quote(word);
  const std::string s = suggest(word, known);
  if (!s.empty()) return msg + "; did you mean " + quote(s) + "?";
  if (known.empty()) return msg + " (none are defined)";
  return msg + "; expected one of " + join_list(known);
}

}  // namespace ivsim
