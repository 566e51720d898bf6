module example.com/unknown

go 1.22
