class Demo
{
    int Twice(int value)
    {
        return val
