"""The lesson's prime core, exactly as the lesson wrote it. Do not "improve" it: its cost is
what execsim measures and models. execsim prepends this file to each Python script it runs
(calibration, the live reference service)."""


def find_nth_prime(nth_prime):
    i = 2
    nth = 0

    while nth != nth_prime:
        if is_prime(i):
            nth += 1
            last_prime = i

        i += 1

    return last_prime


def is_prime(num):
    if num == 2:
        return True

    div = 2

    while div <= num / 2:
        if num % div == 0:
            return False
        div += 1
    return True
