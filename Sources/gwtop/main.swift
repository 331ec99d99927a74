print("gwtop")
