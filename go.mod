module spadework

go 1.26.8
