// The one translation unit that compiles Catch2's runner; kept apart so test files rebuild fast.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
