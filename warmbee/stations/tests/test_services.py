def test_host_organisation_is_linked_to_the_registry_by_name(db, region, personas):
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.stations import services as station_services

    city = region("230600")
    sf = Organisation.objects.create(
        kind=OrgKind.COMPANY, name="顺丰速运（大庆）有限公司", short_name="顺丰", region=city
    )
    Organisation.objects.create(kind=OrgKind.UNION, name="同名单位", region=city)
    Organisation.objects.create(kind=OrgKind.OTHER, name="同名单位", region=city)
    officer = personas["district_officer"]
    station = station_services.station_create(
        actor=officer,
        name="顺丰驿站",
        address="中央大街1号",
        region=region("230602"),
        lat=46.6,
        lng=125.0,
        host_org_name="顺丰",
    )
    assert station.host_org_id == sf.pk
    station = station_services.station_update(
        actor=officer, station=station, host_org_name="同名单位"
    )
    assert station.host_org_id is None  # two organisations have that name: not guessed
    station = station_services.station_update(actor=officer, station=station, host_org_name="")
    assert station.host_org_id is None and station.host_org_name == ""
