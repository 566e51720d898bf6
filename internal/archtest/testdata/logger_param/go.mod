module vigie.test/m

go 1.24
