def barometric_pressure():
    return 1013.25
