# Fails unless the ```cpp block of README.md equals examples/readme_usage.cpp without its
# first (comment) line. Usage: cmake -DREADME=... -DEXAMPLE=... -P check_readme_snippet.cmake
file(READ "${README}" readme)
string(REGEX MATCH "```cpp\n(.*)```" _ "${readme}")
set(snippet "${CMAKE_MATCH_1}")
string(FIND "${snippet}" "```" end)
if(end GREATER -1)
  string(SUBSTRING "${snippet}" 0 ${end} snippet)
endif()
file(READ "${EXAMPLE}" example)
string(REGEX REPLACE "^//[^\n]*\n" "" example "${example}")
if(NOT snippet STREQUAL example)
  message(FATAL_ERROR "README.md's C++ snippet differs from ${EXAMPLE}:\n--- README\n${snippet}\n--- example\n${example}")
endif()
