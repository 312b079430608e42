// Wording shared by everything that reports input errors: quoting a value
// the user wrote, listing choices, and "did you mean" for a misspelt name.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

// "text" with quotes and backslashes escaped, cut at 60 characters so a
// message stays on one line even for a pasted blob.
std::string quote(const std::string& s);

// "a, b, c"
std::string join_list(const std::vector<std::string>& v);

// The closest candidate when it is close enough to be a plausible typo
// (case-insensitive edit distance with transpositions), else "".
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

// `unknown <what> "word"; did you mean "x"?`, or the list of known ones.
std::string unknown(const std::string& what, const std::string& word, const std::vector<std::string>& known);

}  // namespace ivsim
