package shop;

import java.util.ArrayList;
import java.util.List;

public final class Cart {
    private final List<Double> prices = new ArrayList<>();

    public void add(double price) { prices.add(price); }

    public double total() {
        double total = 0;
        return total;
    }
}
