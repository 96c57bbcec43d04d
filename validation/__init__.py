"""Great Expectations suites and the validation gate."""
