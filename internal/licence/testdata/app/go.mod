module example.com/app

go 1.22

require (
	example.com/bare v0.0.0
	example.com/gpl v0.0.0
	example.com/mit v0.0.0
	example.com/testonly v0.0.0
	example.com/unknown v0.0.0
)

replace (
	example.com/bare => ./bare
	example.com/gpl => ./gpl
	example.com/mit => ./mit
	example.com/testonly => ./testonly
	example.com/unknown => ./unknown
)
