from shanzhi.people.models import Household


def test_each_persona_sees_its_part_of_the_county(county):
    def numbers(user):
        return set(Household.objects.for_user(user).values_list("number", flat=True))

    assert numbers(county.county_admin) == {"H0001", "H0002", "H0100"}
    assert numbers(county.township_officer) == {"H0001", "H0002"}
    assert numbers(county.other_township_officer) == {"H0100"}
    assert numbers(county.village_secretary) == {"H0001", "H0002"}
    assert numbers(county.other_village_secretary) == set()
    assert numbers(county.grid_worker) == {"H0001"}
    assert numbers(county.villager) == {"H0001"}
    assert numbers(county.department_handler) == set()
    assert numbers(county.outsider) == set()
