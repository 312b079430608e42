-- One expectation met, one not: the run exits with status 3.
expect(param("want") == 2, "want is 2")
expect(param("want") == 3, "want is 3")
count("after")
